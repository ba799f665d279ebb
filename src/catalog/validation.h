// Input checks the catalog makes before writing. They guard the catalog's own invariants (shapes,
// sizes, finiteness); policy questions (is this legal basis acceptable? is this country allowed?)
// are the privacy module's. Every failure is InvalidArgument naming the field.
#pragma once

#include <span>

#include "catalog/catalog.h"
#include "likeness/status.h"

namespace likeness::catalog {

// name and legal_basis non-empty; jurisdiction two upper-case ASCII letters; retain_until empty or
// shaped YYYY-MM-DD (digits and dashes only; the calendar is not checked).
Status ValidateSource(const SourceRecord& source);

// kEmbeddingDim finite floats.
Status ValidateEmbedding(std::span<const float> embedding);

// model_id non-empty; embedding valid (above); box, points and quality finite (SQLite
// would store a NaN as NULL).
Status ValidateFace(const FaceRecord& face);

// content_hash non-empty; width, height and bytes not negative.
Status ValidateImage(const ImageRecord& image);

}  // namespace likeness::catalog
