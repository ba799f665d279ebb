#include "openset/people_store.h"

#include "catalog/sqlite_db.h"

namespace likeness::openset {
namespace fs = std::filesystem;
using catalog::sqlite::Db;

namespace {
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS persons (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS person_faces (
  face_id INTEGER PRIMARY KEY,
  person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  image_id INTEGER NOT NULL,
  UNIQUE (person_id, image_id)
);
CREATE INDEX IF NOT EXISTS person_faces_person ON person_faces(person_id);
)sql";
}  // namespace

PeopleStore::PeopleStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}
PeopleStore::~PeopleStore() = default;

Result<std::unique_ptr<PeopleStore>> PeopleStore::Open(const fs::path& data_dir) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  ASSIGN_OR_RETURN(auto db, Db::Open(data_dir / kPeopleFileName));
  // secure_delete: an erased person's name and face ids are overwritten, not left in free pages.
  RETURN_IF_ERROR(
      db->Exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;"));
  RETURN_IF_ERROR(db->Exec(kSchema));
  return std::unique_ptr<PeopleStore>(new PeopleStore(std::move(db)));
}

Status PeopleStore::CheckPerson(int64_t person) {
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT 1 FROM persons WHERE id = ?"));
  RETURN_IF_ERROR(st.BindInt64(1, person));
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status::NotFound("no person " + std::to_string(person));
  return Status::Ok();
}

Result<std::map<int64_t, FaceAssignment>> PeopleStore::Assignments() {
  std::map<int64_t, FaceAssignment> out;
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT face_id, person_id, image_id FROM person_faces"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out[st.ColumnInt64(0)] = {st.ColumnInt64(1), st.ColumnInt64(2)};
  }
  return out;
}

Result<int64_t> PeopleStore::CreatePerson(const std::map<int64_t, int64_t>& faces) {
  std::set<int64_t> images;
  for (const auto& [face, image] : faces)
    if (!images.insert(image).second)
      return Status::InvalidArgument("two faces of image " + std::to_string(image) +
                                     " cannot be one person");
  RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Result<int64_t> {
    RETURN_IF_ERROR(db_->Exec("INSERT INTO persons(name) VALUES ('')"));
    const int64_t person = db_->LastInsertRowId();
    ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO person_faces(face_id, person_id, image_id) "
                                           "VALUES (?, ?, ?)"));
    for (const auto& [face, image] : faces) {
      RETURN_IF_ERROR(st.BindInt64(1, face));
      RETURN_IF_ERROR(st.BindInt64(2, person));
      RETURN_IF_ERROR(st.BindInt64(3, image));
      RETURN_IF_ERROR(st.Run());
      RETURN_IF_ERROR(st.Reset());
    }
    return person;
  };
  auto r = body();
  RETURN_IF_ERROR(db_->Exec(r.ok() ? "COMMIT" : "ROLLBACK"));
  return r;
}

Status PeopleStore::Assign(int64_t face_id, int64_t image_id, int64_t person) {
  RETURN_IF_ERROR(CheckPerson(person));
  ASSIGN_OR_RETURN(auto clash, db_->Prepare("SELECT 1 FROM person_faces WHERE person_id = ? AND "
                                            "image_id = ?"));
  RETURN_IF_ERROR(clash.BindInt64(1, person));
  RETURN_IF_ERROR(clash.BindInt64(2, image_id));
  ASSIGN_OR_RETURN(bool row, clash.Step());
  if (row)
    return Status::FailedPrecondition("person " + std::to_string(person) +
                                      " already has a face in image " + std::to_string(image_id));
  ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO person_faces(face_id, person_id, image_id) "
                                         "VALUES (?, ?, ?)"));
  RETURN_IF_ERROR(st.BindInt64(1, face_id));
  RETURN_IF_ERROR(st.BindInt64(2, person));
  RETURN_IF_ERROR(st.BindInt64(3, image_id));
  return st.Run();
}

Status PeopleStore::Merge(int64_t into, int64_t from) {
  if (into == from) return Status::InvalidArgument("cannot merge a person with itself");
  RETURN_IF_ERROR(CheckPerson(into));
  RETURN_IF_ERROR(CheckPerson(from));
  ASSIGN_OR_RETURN(auto shared,
                   db_->Prepare("SELECT a.image_id FROM person_faces a JOIN person_faces b ON "
                                "a.image_id = b.image_id WHERE a.person_id = ? AND b.person_id = ? "
                                "LIMIT 1"));
  RETURN_IF_ERROR(shared.BindInt64(1, into));
  RETURN_IF_ERROR(shared.BindInt64(2, from));
  ASSIGN_OR_RETURN(bool row, shared.Step());
  if (row)
    return Status::FailedPrecondition("persons " + std::to_string(into) + " and " +
                                      std::to_string(from) + " both appear in image " +
                                      std::to_string(shared.ColumnInt64(0)) +
                                      ": two faces in one photo are never the same person");
  RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(auto move, db_->Prepare("UPDATE person_faces SET person_id = ? WHERE "
                                             "person_id = ?"));
    RETURN_IF_ERROR(move.BindInt64(1, into));
    RETURN_IF_ERROR(move.BindInt64(2, from));
    RETURN_IF_ERROR(move.Run());
    ASSIGN_OR_RETURN(auto name,
                     db_->Prepare("UPDATE persons SET name = (SELECT name FROM persons WHERE "
                                  "id = ?) WHERE id = ? AND name = ''"));
    RETURN_IF_ERROR(name.BindInt64(1, from));
    RETURN_IF_ERROR(name.BindInt64(2, into));
    RETURN_IF_ERROR(name.Run());
    ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM persons WHERE id = ?"));
    RETURN_IF_ERROR(del.BindInt64(1, from));
    return del.Run();
  };
  const Status s = body();
  RETURN_IF_ERROR(db_->Exec(s.ok() ? "COMMIT" : "ROLLBACK"));
  return s;
}

Result<int64_t> PeopleStore::Split(int64_t person, int64_t face_id) {
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT image_id FROM person_faces WHERE face_id = ? AND "
                                         "person_id = ?"));
  RETURN_IF_ERROR(st.BindInt64(1, face_id));
  RETURN_IF_ERROR(st.BindInt64(2, person));
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row)
    return Status::NotFound("face " + std::to_string(face_id) + " does not belong to person " +
                            std::to_string(person));
  RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Result<int64_t> {
    RETURN_IF_ERROR(db_->Exec("INSERT INTO persons(name) VALUES ('')"));
    const int64_t fresh = db_->LastInsertRowId();
    ASSIGN_OR_RETURN(auto move, db_->Prepare("UPDATE person_faces SET person_id = ? WHERE "
                                             "face_id = ?"));
    RETURN_IF_ERROR(move.BindInt64(1, fresh));
    RETURN_IF_ERROR(move.BindInt64(2, face_id));
    RETURN_IF_ERROR(move.Run());
    return fresh;
  };
  auto r = body();
  RETURN_IF_ERROR(db_->Exec(r.ok() ? "COMMIT" : "ROLLBACK"));
  return r;
}

Status PeopleStore::Name(int64_t person, const std::string& name) {
  RETURN_IF_ERROR(CheckPerson(person));
  ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE persons SET name = ? WHERE id = ?"));
  RETURN_IF_ERROR(st.BindText(1, name));
  RETURN_IF_ERROR(st.BindInt64(2, person));
  return st.Run();
}

Result<std::vector<Person>> PeopleStore::List() {
  std::vector<Person> out;
  ASSIGN_OR_RETURN(auto st,
                   db_->Prepare("SELECT p.id, p.name, COUNT(f.face_id), COUNT(DISTINCT f.image_id) "
                                "FROM persons p LEFT JOIN person_faces f ON f.person_id = p.id "
                                "GROUP BY p.id ORDER BY COUNT(f.face_id) DESC, p.id"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.ColumnInt64(0), st.ColumnText(1), st.ColumnInt64(2), st.ColumnInt64(3)});
  }
  return out;
}

Result<Person> PeopleStore::Get(int64_t person) {
  ASSIGN_OR_RETURN(auto all, List());
  for (auto& p : all)
    if (p.id == person) return p;
  return Status::NotFound("no person " + std::to_string(person));
}

Result<std::vector<int64_t>> PeopleStore::FacesOf(int64_t person) {
  RETURN_IF_ERROR(CheckPerson(person));
  std::vector<int64_t> out;
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT face_id FROM person_faces WHERE person_id = ? "
                                         "ORDER BY face_id"));
  RETURN_IF_ERROR(st.BindInt64(1, person));
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.ColumnInt64(0));
  }
  return out;
}

Result<int64_t> PeopleStore::Prune(const std::set<int64_t>& existing_faces) {
  ASSIGN_OR_RETURN(auto assigned, Assignments());
  int64_t forgotten = 0;
  RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM person_faces WHERE face_id = ?"));
    for (const auto& [face, a] : assigned) {
      if (existing_faces.contains(face)) continue;
      RETURN_IF_ERROR(del.BindInt64(1, face));
      RETURN_IF_ERROR(del.Run());
      RETURN_IF_ERROR(del.Reset());
      ++forgotten;
    }
    return db_->Exec(
        "DELETE FROM persons WHERE id NOT IN (SELECT DISTINCT person_id FROM person_faces)");
  };
  const Status s = body();
  RETURN_IF_ERROR(db_->Exec(s.ok() ? "COMMIT" : "ROLLBACK"));
  RETURN_IF_ERROR(s);
  return forgotten;
}

Result<int64_t> PeopleStore::Forget(const std::vector<int64_t>& face_ids) {
  int64_t forgotten = 0;
  RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM person_faces WHERE face_id = ?"));
    for (int64_t face : face_ids) {
      RETURN_IF_ERROR(del.BindInt64(1, face));
      RETURN_IF_ERROR(del.Run());
      RETURN_IF_ERROR(del.Reset());
      forgotten += db_->Changes();
    }
    return db_->Exec(
        "DELETE FROM persons WHERE id NOT IN (SELECT DISTINCT person_id FROM person_faces)");
  };
  const Status s = body();
  RETURN_IF_ERROR(db_->Exec(s.ok() ? "COMMIT" : "ROLLBACK"));
  RETURN_IF_ERROR(s);
  // The WAL still holds the pages as they were (names included): fold it in and empty it.
  RETURN_IF_ERROR(db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  return forgotten;
}

}  // namespace likeness::openset
