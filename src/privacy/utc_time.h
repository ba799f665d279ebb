// UTC timestamps as the privacy stores write them.
#pragma once

#include <chrono>
#include <string>

namespace likeness::privacy {

// "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC, microseconds). Fixed width, so text order is time order.
std::string FormatUtc(std::chrono::system_clock::time_point t);

}  // namespace likeness::privacy
