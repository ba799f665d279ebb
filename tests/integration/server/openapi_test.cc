// The OpenAPI document served by the server and the routes it registered agree: every API route is
// documented with the roles it admits, every documented operation exists, every reference
// resolves, and every path parameter is declared.
#include <algorithm>
#include <set>

#include "server_fixture.h"

namespace likeness::server::testing {
namespace {

class OpenApiTest : public ServerTest {};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

nlohmann::json FetchDocument() {
  auto r = ServerTest::Client()->Get("/api/v1/openapi.json");
  EXPECT_TRUE(r);
  if (!r) return {};
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  return Json(r);
}

void CollectRefs(const nlohmann::json& j, std::vector<std::string>* refs) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "$ref" && it->is_string()) refs->push_back(it->get<std::string>());
      CollectRefs(*it, refs);
    }
  } else if (j.is_array()) {
    for (const auto& e : j) CollectRefs(e, refs);
  }
}

TEST_F(OpenApiTest, DocumentIsOpenApi3) {
  const auto doc = FetchDocument();
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["openapi"].get<std::string>().rfind("3.", 0), 0u);
  EXPECT_TRUE(doc["info"].contains("title"));
  EXPECT_TRUE(doc["info"].contains("version"));
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("apiKey"));
}

TEST_F(OpenApiTest, RoutesAndDocumentAgree) {
  const auto doc = FetchDocument();
  ASSERT_TRUE(doc.contains("paths"));
  std::set<std::pair<std::string, std::string>> routes, documented;
  for (const auto& r : Srv().server().router().routes()) {
    if (!r.in_api) continue;
    SCOPED_TRACE(r.method + " " + r.pattern);
    routes.insert({Lower(r.method), r.pattern});
    ASSERT_TRUE(doc["paths"].contains(r.pattern));
    const auto& op = doc["paths"][r.pattern][Lower(r.method)];
    ASSERT_TRUE(op.is_object());
    // Roles.
    std::set<std::string> doc_roles, route_roles;
    for (const auto& name : op["x-likeness-roles"]) doc_roles.insert(name.get<std::string>());
    for (Role role : kAllRoles) {
      if (r.roles.Contains(role)) route_roles.insert(std::string(RoleName(role)));
    }
    EXPECT_EQ(doc_roles, route_roles);
    // Public operations say so (security: []); protected ones document 401 and 403.
    if (r.access == Access::kPublic) {
      ASSERT_TRUE(op.contains("security"));
      EXPECT_TRUE(op["security"].empty());
    } else {
      EXPECT_FALSE(op.contains("security"));
      EXPECT_TRUE(op["responses"].contains("401"));
      EXPECT_TRUE(op["responses"].contains("403"));
    }
    // Every {param} in the path is declared as a required path parameter.
    for (auto seg : SplitPath(r.pattern)) {
      if (seg.front() != '{') continue;
      const std::string name(seg.substr(1, seg.size() - 2));
      bool declared = false;
      for (const auto& p : op["parameters"]) {
        declared = declared || (p["name"] == name && p["in"] == "path" && p["required"] == true);
      }
      EXPECT_TRUE(declared) << name;
    }
    EXPECT_TRUE(op.contains("summary"));
    EXPECT_TRUE(op["responses"].contains("429"));
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) documented.insert({method, path});
  }
  EXPECT_EQ(routes, documented);
}

TEST_F(OpenApiTest, EveryReferenceResolves) {
  const auto doc = FetchDocument();
  std::vector<std::string> refs;
  CollectRefs(doc, &refs);
  ASSERT_FALSE(refs.empty());
  for (const auto& ref : refs) {
    ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
    const nlohmann::json::json_pointer ptr(ref.substr(1));
    EXPECT_TRUE(doc.contains(ptr)) << ref;
  }
}

}  // namespace
}  // namespace likeness::server::testing
