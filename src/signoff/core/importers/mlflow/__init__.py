"""The MLflow importer: its REST client, the mapping to Signoff's model, and the bulk loader."""
