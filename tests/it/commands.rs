// command tests
