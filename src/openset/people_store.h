// <data>/people.db: who is who. A separate SQLite file owned by this module (the catalog's schema
// is not touched); faces are referred to by catalog face id and carry their image id so the
// same-photo rule can be checked without the catalog.
//
// Thread safety: none; one store per thread (SQLite WAL lets several processes open the file).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "likeness/status.h"

namespace likeness::catalog::sqlite {
class Db;
}

namespace likeness::openset {

inline constexpr const char* kPeopleFileName = "people.db";

struct Person {
  int64_t id = 0;
  std::string name;  // empty until named
  int64_t faces = 0, images = 0;
};

struct FaceAssignment {
  int64_t person = 0;
  int64_t image_id = 0;
};

class PeopleStore {
 public:
  // Opens or creates <data_dir>/people.db. IOError / Corruption from SQLite.
  static Result<std::unique_ptr<PeopleStore>> Open(const std::filesystem::path& data_dir);
  ~PeopleStore();

  // Every assigned face: face id -> (person, image).
  Result<std::map<int64_t, FaceAssignment>> Assignments();
  // A new person holding the given faces (face id -> image id). InvalidArgument when two faces
  // share an image; AlreadyExists when a face already belongs to someone.
  Result<int64_t> CreatePerson(const std::map<int64_t, int64_t>& faces);
  // Adds a face to a person. NotFound (person), AlreadyExists (face assigned), FailedPrecondition
  // (the person already has a face in that photo).
  Status Assign(int64_t face_id, int64_t image_id, int64_t person);
  // Moves all of `from`'s faces to `into` and deletes `from`; `into` keeps its name (or takes
  // `from`'s when it has none). FailedPrecondition when they share a photo (the same-photo rule);
  // NotFound for an unknown person; InvalidArgument when they are the same.
  Status Merge(int64_t into, int64_t from);
  // Moves one face out of its person into a new person, returned. NotFound when the face is not
  // assigned or belongs to another person.
  Result<int64_t> Split(int64_t person, int64_t face_id);
  // NotFound for an unknown person.
  Status Name(int64_t person, const std::string& name);
  Result<std::vector<Person>> List();
  Result<Person> Get(int64_t person);
  // Face ids of a person (ascending). NotFound for an unknown person.
  Result<std::vector<int64_t>> FacesOf(int64_t person);
  // Forgets faces no longer in the catalog (after erasure) and people left with no face. Returns
  // how many faces were forgotten.
  Result<int64_t> Prune(const std::set<int64_t>& existing_faces);
  // Forgets the given faces (erased from the catalog) and every person left with no face, name
  // included. Returns how many of the faces were assigned.
  Result<int64_t> Forget(const std::vector<int64_t>& face_ids);

 private:
  explicit PeopleStore(std::unique_ptr<catalog::sqlite::Db> db);
  Status CheckPerson(int64_t person);
  std::unique_ptr<catalog::sqlite::Db> db_;
};

}  // namespace likeness::openset
