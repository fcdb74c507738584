"""Exit codes of the command line: 0 success, 1 the API refused or the host is unreachable, 2 usage."""

EXIT_OK, EXIT_API_ERROR, EXIT_USAGE = 0, 1, 2
