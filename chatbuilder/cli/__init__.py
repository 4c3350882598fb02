"""The builder's `loom` subcommands, registered through the `loomwork.commands` entry points."""
