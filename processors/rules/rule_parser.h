#pragma once

// Internal to processors/rules: the per-file parser behind ParseRuleFile. It
// also returns where ids and fold_into were written, so that rule_set.cc can
// report set-level errors (duplicate ids, bad fold_into) with positions.

#include <string>
#include <vector>

#include "processors/rules/rule_spec.h"

namespace vigil::rules {

// A position in a rule file, 1-based; line 0 = unknown.
struct SourcePos {
  int line = 0;
  int column = 0;
};

struct ParsedRule {
  RuleSpec spec;
  int index = 0;        // position in the file's `rules:` list (0-based), for paths
  SourcePos id;         // the id value
  SourcePos fold_into;  // the fold_into value, when set
};

struct ParsedRuleFile {
  // Rules in file order; complete only when `errors` is empty.
  std::vector<ParsedRule> rules;
  // One "name:line:col: path: what" per problem, sorted by position.
  std::vector<std::string> errors;
};

// Parses and validates one rule file (everything that can be checked without
// the other files: syntax, keys, types, enums, cross-field rules, duplicate
// ids inside the file). Never throws.
ParsedRuleFile ParseRuleText(const std::string& text, const std::string& name);

// "name:line:col: path: what" (or "name: path: what" when the position is unknown).
std::string FormatRuleError(const std::string& name, SourcePos pos, const std::string& path,
                            const std::string& what);

}  // namespace vigil::rules
