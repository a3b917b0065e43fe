"""Console scripts (`lake-demo`, `lake-query`); user errors are printed, never a stack trace."""
