"""Cron triggers firing through the real Runner into the real SQLite store, on a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.runtime.store import RunRecord
from integrations.context import Loom
from integrations.scheduler import Scheduler, component
from integrations.settings import Settings

from .conftest import until

MORNING = """loom: 1
name: morning
inputs:
  city: {type: string}
  greeting: {type: string, default: Good morning}
triggers:
  - {type: cron, schedule: "0 7 * * 1-5", timezone: Europe/Berlin, inputs: {city: Berlin}}
steps:
  - {id: greet, type: set, values: {text: "${{ inputs.greeting }}, ${{ inputs.city }}"}}
outputs:
  text: ${{ steps.greet.output.text }}
  channel: ${{ trigger.channel }}
"""

DAILY = """loom: 1
name: daily
triggers:
  - {type: cron, schedule: "0 7 * * *"}
steps:
  - {id: note, type: set, values: {done: true}}
"""


async def cron_runs(loom: Loom, workflow: str) -> list[RunRecord]:
    runs = await loom.store.list_runs(workflow=workflow)
    return sorted(runs, key=lambda r: r.trigger["scheduled_for"])


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


async def test_a_due_schedule_starts_one_run_with_the_triggers_inputs(loom, clock, start_scheduler):
    loom.catalog.save(MORNING)
    scheduler = await start_scheduler(loom)
    [schedule] = scheduler.schedules()
    assert (schedule.workflow, schedule.trigger, schedule.inputs) == ("morning", "0", {"city": "Berlin"})
    assert schedule.next_fire_at == at("2026-03-27T06:00:00+00:00")  # Friday 07:00 CET

    assert await scheduler.tick() == []  # 06:59 local: not yet
    clock.set("2026-03-27T06:00:00+00:00")
    [run_id] = await scheduler.tick()
    result = await loom.runner.wait(run_id, timeout=5)
    assert result.status == "succeeded"
    assert result.outputs == {"text": "Good morning, Berlin", "channel": "cron"}
    record = await loom.store.get_run(run_id)
    assert record.inputs == {"city": "Berlin", "greeting": "Good morning"}
    assert record.trigger["channel"] == "cron"
    assert record.trigger["scheduled_for"] == "2026-03-27T07:00:00+01:00"

    assert await scheduler.tick() == []  # the same due time never fires twice
    [schedule] = scheduler.schedules()
    assert schedule.last_fired_at == at("2026-03-27T06:00:00+00:00")
    assert schedule.next_fire_at == at("2026-03-30T05:00:00+00:00")  # Monday 07:00, now CEST
    assert len(await cron_runs(loom, "morning")) == 1


async def test_the_loop_fires_on_its_own_when_the_time_comes(loom, clock, start_scheduler):
    loom.catalog.save(MORNING)
    clock.set("2026-03-27T05:59:59.900000+00:00")
    # A real clock 0.1 s before the due time: the loop sleeps until then and fires by itself.
    offset = clock.now - datetime.now(UTC)
    await start_scheduler(loom, clock=lambda: datetime.now(UTC) + offset, max_sleep=30)
    [run] = await until(lambda: cron_runs(loom, "morning"), timeout=3, what="the 07:00 firing")
    assert run.trigger["scheduled_for"] == "2026-03-27T07:00:00+01:00"


async def test_a_firing_missed_while_down_runs_once_at_start_up(loom, clock, start_scheduler):
    loom.catalog.save(DAILY)
    clock.set("2026-03-23T06:30:00+00:00")  # Monday
    first = await start_scheduler(loom)
    await first.stop()

    clock.set("2026-03-26T08:00:00+00:00")  # Thursday: Tuesday, Wednesday and Thursday 07:00 were missed
    second = await start_scheduler(loom, max_sleep=30)
    [run] = await until(lambda: cron_runs(loom, "daily"), what="the catch-up run")
    assert run.trigger["scheduled_for"] == "2026-03-26T07:00:00+00:00"  # the most recent missed slot only
    await loom.runner.wait(run.run_id, timeout=5)
    assert await second.tick() == []
    [schedule] = second.schedules()
    assert schedule.next_fire_at == at("2026-03-27T07:00:00+00:00")
    assert len(await cron_runs(loom, "daily")) == 1


async def test_with_catch_up_skip_missed_firings_do_not_run_but_on_time_ones_do(loom, clock, start_scheduler):
    loom.catalog.save(DAILY)
    clock.set("2026-03-23T06:30:00+00:00")
    await (await start_scheduler(loom)).stop()

    clock.set("2026-03-26T08:00:00+00:00")
    scheduler = await start_scheduler(loom, catch_up="skip")
    assert await scheduler.tick() == []
    [schedule] = scheduler.schedules()
    assert schedule.next_fire_at == at("2026-03-27T07:00:00+00:00") and schedule.last_fired_at is None

    clock.set("2026-03-27T07:00:20+00:00")  # 20 s late is on time, not missed
    [run_id] = await scheduler.tick()
    assert (await loom.runner.wait(run_id, timeout=5)).status == "succeeded"
    assert len(await cron_runs(loom, "daily")) == 1


def test_catch_up_comes_from_the_environment_and_a_wrong_value_is_refused(loom_home):
    env = {"LOOM_HOME": str(loom_home)}
    assert component(Settings.from_env({**env, "LOOM_CRON_CATCH_UP": "skip"})).catch_up == "skip"
    assert component(Settings.from_env(env)).catch_up == "latest"
    with pytest.raises(ValueError, match="LOOM_CRON_CATCH_UP must be one of latest, skip, not 'all'"):
        Settings.from_env({**env, "LOOM_CRON_CATCH_UP": "all"})


async def test_saving_disabling_and_deleting_workflows_updates_the_schedules(loom, clock, start_scheduler):
    scheduler = await start_scheduler(loom)
    assert scheduler.schedules() == []
    oslo = '  - {type: cron, schedule: "30 6 * * *", timezone: UTC, inputs: {city: Oslo}}\n'
    loom.catalog.save(MORNING.replace("triggers:\n", "triggers:\n  - {type: webhook}\n" + oslo))
    assert [(s.trigger, s.cron, s.inputs) for s in scheduler.schedules()] == [
        ("1", "30 6 * * *", {"city": "Oslo"}), ("2", "0 7 * * 1-5", {"city": "Berlin"})]
    assert scheduler.schedules()[0].next_fire_at == at("2026-03-27T06:30:00+00:00")

    loom.catalog.save(MORNING.replace("0 7 * * 1-5", "15 8 * * *").replace("city: Berlin", "city: Paris"))
    [schedule] = scheduler.schedules()
    assert (schedule.trigger, schedule.cron, schedule.inputs) == ("0", "15 8 * * *", {"city": "Paris"})
    assert schedule.next_fire_at == at("2026-03-27T07:15:00+00:00")

    loom.catalog.set_enabled("morning", False)
    assert scheduler.schedules() == []
    clock.set("2026-03-27T07:15:00+00:00")
    assert await scheduler.tick() == []
    loom.catalog.set_enabled("morning", True)
    assert [s.cron for s in scheduler.schedules()] == ["15 8 * * *"]
    loom.catalog.delete("morning")
    assert scheduler.schedules() == []
    assert await cron_runs(loom, "morning") == []


async def test_changes_made_by_another_process_are_honoured(loom, settings, clock, start_scheduler):
    scheduler = await start_scheduler(loom)
    other = Loom.open(settings)  # another app process on the same database, without a scheduler
    try:
        other.catalog.save(MORNING)
        assert scheduler.schedules() == []  # not notified in this process...
        scheduler.sync()  # ...until the periodic resync
        assert [s.workflow for s in scheduler.schedules()] == ["morning"]

        other.catalog.set_enabled("morning", False)  # and a due firing checks the catalog first
        clock.set("2026-03-27T06:00:00+00:00")
        assert await scheduler.tick() == []
        assert scheduler.schedules() == []
        assert await cron_runs(loom, "morning") == []
    finally:
        other.store.close()


async def test_a_scheduler_in_the_app_starts_and_stops_with_it(settings):
    from fastapi.testclient import TestClient

    from integrations.server import create_app

    loom = Loom.open(settings)
    loom.catalog.save(MORNING)
    with TestClient(create_app(loom, ui=False)):
        [scheduler] = [c for c in loom.components if isinstance(c, Scheduler)]
        assert [s.workflow for s in scheduler.schedules()] == ["morning"]
    assert scheduler._task is None and scheduler._catalog_changed not in loom.catalog.listeners
