"""Reading: files (CSV, xlsx, school.toml, plan.json) into validated ``models`` objects."""
