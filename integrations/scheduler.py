"""Placeholder: the cron scheduler is being built."""


def component(settings):
    return None
