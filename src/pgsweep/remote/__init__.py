"""Remote repositories: their URLs, their mirrors in a local cache, and forge listings."""
