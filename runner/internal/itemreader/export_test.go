package itemreader

// ValidCompact exposes validCompact to the black-box tests, for fuzzing against encoding/json.
var ValidCompact = validCompact
