#include "openset/clustering.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <unordered_map>

namespace likeness::openset {
namespace {

struct Edge {
  float cosine;
  int a, b;
};

float Dot(const float* a, const float* b, int dim) {
  double s = 0;
  for (int i = 0; i < dim; ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}

// A group of faces being built: union-find root plus the photos it holds.
struct Groups {
  std::vector<int> parent;
  std::vector<std::set<int64_t>> images;
  int Find(int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  bool Disjoint(int ra, int rb) const {
    const auto& small = images[ra].size() < images[rb].size() ? images[ra] : images[rb];
    const auto& large = images[ra].size() < images[rb].size() ? images[rb] : images[ra];
    for (int64_t i : small)
      if (large.contains(i)) return false;
    return true;
  }
  void Union(int ra, int rb) {
    if (images[ra].size() < images[rb].size()) std::swap(ra, rb);
    parent[rb] = ra;
    images[ra].insert(images[rb].begin(), images[rb].end());
    images[rb].clear();
  }
};

}  // namespace

ClusterResult ClusterFaces(const std::vector<ClusterFace>& faces, int dim,
                           const ClusterOptions& options) {
  const int n = static_cast<int>(faces.size());
  std::vector<std::vector<std::pair<int, float>>> nbrs(n);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      if (faces[i].image_id == faces[j].image_id) continue;
      const float c = Dot(faces[i].embedding, faces[j].embedding, dim);
      if (c >= options.similarity) nbrs[i].push_back({j, c}), nbrs[j].push_back({i, c});
    }
  std::vector<bool> core(n);
  for (int i = 0; i < n; ++i) core[i] = static_cast<int>(nbrs[i].size()) + 1 >= options.min_points;

  // Photos held by each existing person.
  std::unordered_map<int64_t, std::set<int64_t>> person_images;
  for (const auto& f : faces)
    if (f.person != 0) person_images[f.person].insert(f.image_id);

  ClusterResult result;
  std::vector<int64_t> person(n);
  for (int i = 0; i < n; ++i) person[i] = faces[i].person;

  // 1. Attach unassigned faces to existing people through assigned core neighbours, best first.
  std::vector<Edge> attach;
  for (int i = 0; i < n; ++i) {
    if (person[i] != 0) continue;
    for (auto [j, c] : nbrs[i])
      if (person[j] != 0 && core[j]) attach.push_back({c, i, j});
  }
  std::sort(attach.begin(), attach.end(), [](const Edge& x, const Edge& y) {
    return x.cosine != y.cosine ? x.cosine > y.cosine : x.a < y.a;
  });
  for (const auto& e : attach) {
    if (person[e.a] != 0) continue;
    auto& imgs = person_images[person[e.b]];
    if (imgs.contains(faces[e.a].image_id)) continue;
    person[e.a] = person[e.b];
    imgs.insert(faces[e.a].image_id);
    result.attached[faces[e.a].id] = person[e.b];
  }

  // 2. New people from unassigned core points: best edge first, refusing shared photos.
  Groups g;
  g.parent.resize(n);
  std::iota(g.parent.begin(), g.parent.end(), 0);
  g.images.resize(n);
  for (int i = 0; i < n; ++i) g.images[i] = {faces[i].image_id};
  std::vector<Edge> edges;
  for (int i = 0; i < n; ++i) {
    if (person[i] != 0 || !core[i]) continue;
    for (auto [j, c] : nbrs[i])
      if (j > i && person[j] == 0 && core[j]) edges.push_back({c, i, j});
  }
  std::sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) {
    return x.cosine != y.cosine ? x.cosine > y.cosine : (x.a != y.a ? x.a < y.a : x.b < y.b);
  });
  for (const auto& e : edges) {
    const int ra = g.Find(e.a), rb = g.Find(e.b);
    if (ra != rb && g.Disjoint(ra, rb)) g.Union(ra, rb);
  }
  // 3. Border faces (unassigned, not core) join their best core neighbour's new group.
  std::vector<bool> border(n, false);
  for (int i = 0; i < n; ++i) {
    if (person[i] != 0 || core[i]) continue;
    auto sorted = nbrs[i];
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& x, const auto& y) { return x.second > y.second; });
    for (auto [j, c] : sorted) {
      if (person[j] != 0 || !core[j]) continue;
      const int rj = g.Find(j);
      if (!g.images[rj].contains(faces[i].image_id)) {
        g.Union(rj, g.Find(i));
        border[i] = true;
        break;
      }
    }
  }
  std::map<int, std::vector<int64_t>> groups;
  for (int i = 0; i < n; ++i) {
    if (person[i] != 0) continue;
    if (!core[i] && !border[i]) {
      ++result.noise;
      continue;
    }
    groups[g.Find(i)].push_back(faces[i].id);
  }
  for (auto& [root, ids] : groups) {
    // A lone core point whose neighbours all went elsewhere is noise, not a person.
    if (ids.size() < 2) {
      result.noise += static_cast<int64_t>(ids.size());
      continue;
    }
    result.new_people.push_back(std::move(ids));
  }
  return result;
}

ClusterQuality MeasureClusters(const std::map<int64_t, int64_t>& face_to_cluster,
                               const std::map<int64_t, int64_t>& face_to_identity) {
  ClusterQuality q;
  std::map<int64_t, std::map<int64_t, int64_t>> counts;  // cluster -> identity -> faces
  int64_t clustered = 0;
  for (const auto& [face, cluster] : face_to_cluster) {
    auto it = face_to_identity.find(face);
    if (it == face_to_identity.end()) continue;
    ++counts[cluster][it->second];
    ++clustered;
  }
  int64_t majority = 0;
  for (const auto& [cluster, ids] : counts) {
    int64_t best = 0;
    for (const auto& [id, c] : ids) best = std::max(best, c);
    majority += best;
  }
  std::map<int64_t, int64_t> identity_sizes;
  for (const auto& [face, id] : face_to_identity) ++identity_sizes[id];
  double same_pairs = 0, together = 0;
  for (const auto& [id, n] : identity_sizes) same_pairs += 0.5 * n * (n - 1);
  for (const auto& [cluster, ids] : counts)
    for (const auto& [id, c] : ids) together += 0.5 * c * (c - 1);
  q.clusters = static_cast<int64_t>(counts.size());
  q.purity = clustered ? static_cast<double>(majority) / clustered : 0;
  q.completeness = same_pairs > 0 ? together / same_pairs : 0;
  q.clustered_share =
      face_to_identity.empty() ? 0 : static_cast<double>(clustered) / face_to_identity.size();
  return q;
}

}  // namespace likeness::openset
