"""The alarm rules. Each module has one function, `evaluate(state, batch, now) -> (state, episodes)`:
`state` is the rule's own small frame carried between batches, `batch` the prepared input of one
batch (engine.rules.base.RuleInput), and `episodes` rows of engine.schema.EPISODES."""
