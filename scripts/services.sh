#!/usr/bin/env bash
# Start the local services the test suite talks to, when they are installed but down.
# PostgreSQL backs the SqlStore tests, PostgreSQL and MariaDB the `sql` step tests (a skip would
# hide a failure, so CI makes sure they run). Each wait is a bounded polling loop, not a sleep.
set -u
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        echo "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
        for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
    fi
fi
mariadb_up() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 -u root --connect-timeout=2 ping >/dev/null 2>&1; }
if [ -x /usr/sbin/mariadbd ] && command -v mariadb-admin >/dev/null 2>&1 && ! mariadb_up; then
    echo "starting MariaDB"
    install -d -o mysql -g mysql /run/mysqld 2>/dev/null || true   # the socket's folder lives on a tmpfs
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
    for _ in $(seq 1 40); do mariadb_up && break; sleep 0.5; done
fi
exit 0
