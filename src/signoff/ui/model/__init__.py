"""The model page: metadata, live version per environment, versions, consumers, timeline."""
