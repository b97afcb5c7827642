// validation tests: written by a helper
