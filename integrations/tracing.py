"""Placeholder: tracing is being built."""


def component(settings):
    return None
