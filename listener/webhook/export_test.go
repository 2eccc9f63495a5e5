package webhook

// JSONString is jsonString, for the external fuzz test.
var JSONString = jsonString

// ObjectFields is objectFields, for the external fuzz test.
var ObjectFields = objectFields
