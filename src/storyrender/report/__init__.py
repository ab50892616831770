"""Everything a user sees of a plan or a build: the console reporters and the documents."""
