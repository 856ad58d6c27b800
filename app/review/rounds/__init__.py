"""Review rounds of a call (初评, 复评 / 现场答辩): the rounds' settings, the
shortlist each later round scores, and its panel's assignments."""
