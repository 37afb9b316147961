"""One module per subcommand: ``DESCRIPTION``, ``add_arguments(parser)`` and
``run(args)``, which returns the exit code."""
