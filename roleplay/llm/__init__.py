"""The model layer: our request/response types, protocols, structured output and adapters."""
