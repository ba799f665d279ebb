// Timestamps as the catalog stores them: ISO 8601, UTC, whole seconds ("2026-11-26T10:00:00Z").
// Strings of this shape sort in time order, so SQL comparisons on them are meaningful.
#pragma once

#include <chrono>
#include <string>

namespace likeness::catalog {

// Formats `t` (truncated to whole seconds) as "YYYY-MM-DDTHH:MM:SSZ".
std::string FormatUtcTimestamp(std::chrono::system_clock::time_point t);

// FormatUtcTimestamp(system_clock::now()).
std::string UtcNowTimestamp();

}  // namespace likeness::catalog
