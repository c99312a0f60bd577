"""What ingest and answering both sit on: errors, settings, records, text, dates and embedders."""
