// The catalog's schema history: every migration ever shipped, in order. Append only: a shipped
// migration is never edited (databases in the field already ran it); change the schema with a new
// one.
#pragma once

#include <span>

#include "catalog/migrations.h"

namespace likeness::catalog {

std::span<const Migration> CatalogMigrations();

}  // namespace likeness::catalog
