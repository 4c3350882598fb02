"""Clients for the outside parties that steps and connection checks talk to, one module per
connection kind. Each module has `async def check(connection) -> str` (the "Test" action:
it returns one line saying what worked, or raises `ConnectionCheckFailed` saying what did not)
and the functions its steps call."""
