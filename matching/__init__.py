"""familyfinder's pure domain: types, CSV validation, sibling graph, rules, scoring,
rounds and gap analysis. Nothing here touches a database, the web or the file system.
The domain it models is described in docs/domain.md."""
