"""Sources: everything that turns an input (repository, folder, file) into chunks."""
