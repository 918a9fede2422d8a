"""Layer environments: layout, creation, installation, build stamps."""
