"""The escape corpus: programs that try to get out of the sandbox, each with the error kind it
must end with. A program that gets what it was after prints it (`loot`) and succeeds; one
that finds nothing raises. `ctx` holds what the test set up on the host to be found: the app's
files, a canary in the environment, listening sockets, pids."""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import ErrorKind

PREAMBLE = """\
import json, os, signal, socket, sys
ctx = inputs["ctx"]

def loot(value):
    if not value:
        raise LookupError("found nothing")
    print(json.dumps(value, default=str))
    raise SystemExit(0)

"""

CTYPES = """\
import ctypes, ctypes.util
libc = ctypes.CDLL(None, use_errno=True)

def check(result, what):
    if result == -1:
        raise OSError(ctypes.get_errno(), what + ": " + os.strerror(ctypes.get_errno()))
    return result

"""


@dataclass(frozen=True)
class Attempt:
    name: str
    kind: ErrorKind
    source: str
    timeout: str = "10s"

    def program(self) -> str:
        return PREAMBLE + (CTYPES if "libc." in self.source else "") + self.source


CODE, TIMEOUT, MEMORY, OUTPUT = ErrorKind.CODE, ErrorKind.TIMEOUT, ErrorKind.MEMORY, ErrorKind.OUTPUT

FILES = [
    Attempt("etc_passwd", CODE, "loot(open('/etc/passwd').read())"),
    Attempt("etc_shadow", CODE, "loot(open('/etc/shadow').read())"),
    Attempt("etc_listing", CODE, "loot(os.listdir('/etc'))"),
    Attempt("app_database", CODE, "loot(open(ctx['database'], 'rb').read().decode('latin-1'))"),
    Attempt("app_key_file", CODE, "loot(open(ctx['key_file']).read())"),
    Attempt("loom_home_listing", CODE, "loot(os.listdir(ctx['home']))"),
    Attempt("loom_home_write", CODE, "open(os.path.join(ctx['home'], 'pwned'), 'w').write('x')\nloot('wrote')"),
    Attempt("repository", CODE, "loot(open(os.path.join(ctx['repo'], 'pyproject.toml')).read())"),
    Attempt("venv_site_packages", CODE, "loot(os.listdir(ctx['venv_site']))"),
    Attempt("venv_import", CODE, "sys.path.insert(0, ctx['venv_site'])\nimport pydantic\nloot(pydantic.__file__)"),
    Attempt("engine_import", CODE, "sys.path.insert(0, ctx['repo'])\nimport engine\nloot(engine.__file__)"),
    Attempt("interpreter_site_packages", CODE, "loot([os.listdir(p) for p in ctx['base_sites'] if os.listdir(p)])"),
    Attempt("root_home_files", CODE,
            "loot([open(p).read() for p in ('/root/.bashrc', '/root/.profile', '/root/.ssh/id_rsa')])"),
    Attempt("root_home_listing", CODE,
            "loot([n for n in os.listdir('/root') if not ctx['interpreter'].startswith('/root/' + n + '/')])"),
    Attempt("home", CODE, "loot(os.listdir('/home'))"),
    Attempt("sys", CODE, "loot(os.listdir('/sys'))"),
    Attempt("raw_disk", CODE, "loot(open('/dev/vda', 'rb').read(512).hex())"),
    Attempt("docker_socket", CODE, "s = socket.socket(socket.AF_UNIX)\ns.connect('/var/run/docker.sock')\nloot('in')"),
    Attempt("proc_self_root", CODE, "loot(open('/proc/self/root/etc/passwd').read())"),
    Attempt("proc_init_root", CODE, "loot(os.listdir('/proc/1/root' + ctx['repo']))"),
    Attempt("proc_engine_environ", CODE, "loot(open('/proc/%d/environ' % ctx['engine_pid']).read())"),
    Attempt("proc_engine_memory", CODE, "loot(open('/proc/%d/mem' % ctx['engine_pid'], 'rb').read(16).hex())"),
    Attempt("proc_init_environ", CODE,
            "data = open('/proc/1/environ', 'rb').read()\nloot(ctx['canary_name'].encode() in data and data.decode())"),
    Attempt("proc_every_environ", CODE, """\
found = []
for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
        data = open('/proc/%s/environ' % pid, 'rb').read()
    except OSError:
        continue
    if ctx['canary_name'].encode() in data:
        found.append(data.decode())
loot(found)"""),
    Attempt("environment", CODE, "loot(os.environ.get(ctx['canary_name']) or os.environ.get('LOOM_HOME'))"),
    Attempt("inherited_descriptors", CODE, """\
found = []
for fd in range(3, 1024):
    try:
        found.append((fd, os.readlink('/proc/self/fd/%d' % fd)))
    except OSError:
        pass
loot([f for f in found if 'fd' not in f[1]])"""),
]

WRITES = [
    Attempt("write_usr", CODE, "open('/usr/bin/loom-evil', 'w').write('x')\nloot('wrote')"),
    Attempt("write_root", CODE, "open('/evil', 'w').write('x')\nloot('wrote')"),
    Attempt("write_stdlib", CODE,
            "open(os.path.join(os.path.dirname(os.__file__), 'evil.py'), 'w').write('x')\nloot(1)"),
    Attempt("write_dev_shm", CODE, "open('/dev/shm/evil', 'w').write('x')\nloot('wrote')"),
    Attempt("fill_tmp", CODE,
            "for i in range(8):\n    open('/tmp/fill%d' % i, 'wb').write(b'x' * 15_000_000)\nloot('filled')"),
    Attempt("huge_file", CODE, "open('/tmp/huge', 'wb').write(b'x' * 32_000_000)\nloot('wrote')"),
]

NETWORK = [
    Attempt("tcp_loopback", CODE, "socket.create_connection(('127.0.0.1', ctx['tcp_port']), timeout=3)\nloot('in')"),
    Attempt("tcp_loopback_ipv6", CODE, "socket.create_connection(('::1', ctx['tcp_port']), timeout=3)\nloot('in')"),
    Attempt("tcp_host_address", CODE,
            "socket.create_connection((ctx['host_ip'], ctx['tcp_port']), timeout=3)\nloot(1)"),
    Attempt("tcp_internet", CODE, "socket.create_connection(('1.1.1.1', 443), timeout=3)\nloot('in')"),
    Attempt("http_loopback", CODE,
            "import urllib.request\n"
            "loot(urllib.request.urlopen('http://127.0.0.1:%d/' % ctx['tcp_port'], timeout=3).read())"),
    Attempt("udp_loopback", CODE, """\
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(('127.0.0.1', ctx['udp_port']))
s.send(b'hello engine')
loot(s.recv(100).decode())"""),
    Attempt("udp_internet", CODE,
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.sendto(b'x', ('8.8.8.8', 53))\nloot('sent')"),
    Attempt("dns", CODE, "loot(socket.getaddrinfo('example.com', 443))"),
    Attempt("unix_socket", CODE,
            "s = socket.socket(socket.AF_UNIX)\ns.connect(ctx['unix_socket'])\nloot(s.recv(100).decode())"),
    Attempt("abstract_unix_socket", CODE,
            "s = socket.socket(socket.AF_UNIX)\ns.connect('\\0' + ctx['abstract_socket'])\nloot(s.recv(100).decode())"),
    Attempt("raw_socket", CODE, "socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)\nloot('raw')"),
    Attempt("packet_socket", CODE, "socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\nloot('sniffing')"),
    Attempt("interfaces", CODE, "loot([name for _, name in socket.if_nameindex() if name != 'lo'])"),
]

PROCESSES = [
    Attempt("kill_parent_and_engine", CODE,
            "os.kill(os.getppid(), signal.SIGKILL)\nos.kill(ctx['engine_pid'], signal.SIGKILL)\nloot('killed')"),
    Attempt("kill_everything", CODE, "os.kill(-1, signal.SIGKILL)\nloot('killed every process')"),
    Attempt("kill_sentinel", CODE, "os.kill(ctx['sentinel_pid'], signal.SIGKILL)\nloot('killed')"),
    Attempt("kill_engine_group", CODE, "os.killpg(ctx['engine_pgid'], signal.SIGKILL)\nloot('killed')"),
    Attempt("ptrace_init", CODE, "check(libc.ptrace(16, 1, 0, 0), 'ptrace')\nloot('attached')"),
    Attempt("become_root", CODE, "os.setuid(0)\nloot(open('/proc/self/status').read())"),
    Attempt("mount_syscall", CODE,
            "os.mkdir('/tmp/m')\ncheck(libc.mount(b'/', b'/tmp/m', None, 4096, None), 'mount')\n"
            "loot(os.listdir('/tmp/m'))"),
    Attempt("new_user_namespace", CODE, """\
libc.unshare(0x10000000 | 0x00020000)  # CLONE_NEWUSER | CLONE_NEWNS: a namespace of its own, if allowed
loot(open('/etc/passwd').read())"""),
    Attempt("chroot", CODE, "os.chroot('/tmp')\nloot('chrooted')"),
    Attempt("sethostname", CODE, "check(libc.sethostname(b'owned', 5), 'sethostname')\nloot('renamed')"),
    Attempt("raise_limits", CODE,
            "import resource\nresource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2)\n"
            "loot('unlimited')"),
    Attempt("controlling_tty", CODE, "loot(open('/dev/tty', 'w').write('x'))"),
    Attempt("tty_injection", CODE, "import fcntl, termios\nfcntl.ioctl(0, termios.TIOCSTI, b'x')\nloot('injected')"),
    Attempt("sysrq", CODE, "open('/proc/sysrq-trigger', 'w').write('b')\nloot('rebooting')"),
    Attempt("kernel_memory", CODE, "loot(open('/proc/kcore', 'rb').read(16).hex())"),
]

RESOURCES = [
    Attempt("fork_bomb", CODE, "while True:\n    os.fork()"),
    Attempt("patient_fork_bomb", TIMEOUT, "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
            timeout="2s"),
    Attempt("thread_bomb", CODE,
            "import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(60,)).start()"),
    Attempt("memory_bomb", MEMORY, "blob = bytearray(8 * 1024 ** 3)"),
    Attempt("memory_growth", MEMORY, "hoard = []\nwhile True:\n    hoard.append(bytearray(1024 * 1024))"),
    Attempt("mmap_bomb", MEMORY, "import mmap\nm = mmap.mmap(-1, 4 * 1024 ** 3)\nloot('mapped')"),
    Attempt("infinite_loop", TIMEOUT, "while True:\n    pass", timeout="2s"),
    Attempt("sleep_forever", TIMEOUT, "import time\ntime.sleep(3600)", timeout="2s"),
    Attempt("huge_output", OUTPUT, "while True:\n    print('x' * 10000)"),
    Attempt("huge_stderr", TIMEOUT, "while True:\n    sys.stderr.write('x' * 10000)", timeout="2s"),
]

CORPUS = FILES + WRITES + NETWORK + PROCESSES + RESOURCES
