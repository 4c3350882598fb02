"""`loom` subcommands that need the server's parts; registered through the `loomwork.commands`
entry points, so the engine's CLI does not import this package."""
