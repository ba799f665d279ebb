#include "openset/demographics_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <vector>

namespace likeness::openset {
namespace {

// Figure geometry, in pixels.
constexpr int kLabelWidth = 170, kPanelWidth = 360, kGap = 40, kRowHeight = 28, kTop = 60,
              kBottom = 50, kRight = 20;

struct Point {
  double rate;
  bool bound;  // no error observed: rate is 1/pairs
};

struct Layout {
  int width = 0, height = 0;
  int decades_low = 0;  // the axis runs 10^decades_low .. 1
  int PanelX(int panel) const { return kLabelWidth + panel * (kPanelWidth + kGap); }
  double X(int panel, double rate) const {
    const double lr = std::clamp(std::log10(std::max(rate, 1e-12)), double(decades_low), 0.0);
    return PanelX(panel) + kPanelWidth * (lr - decades_low) / -decades_low;
  }
  int Y(size_t row) const { return kTop + kRowHeight / 2 + static_cast<int>(row) * kRowHeight; }
};

Point PointOf(const GroupErrors& g, bool fmr) {
  const double rate = fmr ? g.fmr : g.fnmr;
  const double bound = fmr ? g.fmr_bound : g.fnmr_bound;
  return rate > 0 ? Point{rate, false} : Point{bound, true};
}

Layout MakeLayout(const DemographicReport& r) {
  Layout l;
  double lowest = 1;
  for (const auto& g : r.groups)
    for (bool fmr : {true, false}) {
      const Point p = PointOf(g, fmr);
      if (p.rate > 0) lowest = std::min(lowest, p.rate);
    }
  l.decades_low = std::min(-1, static_cast<int>(std::floor(std::log10(lowest))));
  l.width = kLabelWidth + 2 * kPanelWidth + kGap + kRight;
  l.height = kTop + static_cast<int>(std::max<size_t>(1, r.groups.size())) * kRowHeight + kBottom;
  return l;
}

const char* PanelTitle(int panel) {
  return panel == 0 ? "False match rate (FMR)" : "False non-match rate (FNMR)";
}

std::string Escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

}  // namespace

std::string DemographicSvg(const DemographicReport& r) {
  const Layout l = MakeLayout(r);
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << l.width << "\" height=\"" << l.height
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  char title[160];
  std::snprintf(title, sizeof title, "Error rates by group at threshold %.3f", r.threshold);
  s << "<text x=\"10\" y=\"20\" font-size=\"14\">" << title << "</text>\n";
  const int bottom = l.Y(r.groups.size()) - kRowHeight / 2;
  for (int panel = 0; panel < 2; ++panel) {
    s << "<text x=\"" << l.PanelX(panel) << "\" y=\"" << kTop - 14 << "\">" << PanelTitle(panel)
      << "</text>\n";
    for (int d = l.decades_low; d <= 0; ++d) {
      const double x = l.X(panel, std::pow(10.0, d));
      s << "<line x1=\"" << x << "\" y1=\"" << kTop << "\" x2=\"" << x << "\" y2=\"" << bottom
        << "\" stroke=\"#ddd\"/>\n<text x=\"" << x - 10 << "\" y=\"" << bottom + 16 << "\">1e" << d
        << "</text>\n";
    }
    s << "<rect x=\"" << l.PanelX(panel) << "\" y=\"" << kTop << "\" width=\"" << kPanelWidth
      << "\" height=\"" << bottom - kTop << "\" fill=\"none\" stroke=\"black\"/>\n";
    for (size_t i = 0; i < r.groups.size(); ++i) {
      const auto& g = r.groups[i];
      if ((panel == 0 ? g.impostor_pairs : g.mated_pairs) == 0) continue;
      const Point p = PointOf(g, panel == 0);
      s << "<circle cx=\"" << l.X(panel, p.rate) << "\" cy=\"" << l.Y(i) << "\" r=\"5\" "
        << (p.bound ? "fill=\"white\" stroke=\"#1f77b4\"" : "fill=\"#1f77b4\"") << "/>\n";
    }
  }
  for (size_t i = 0; i < r.groups.size(); ++i)
    s << "<text x=\"10\" y=\"" << l.Y(i) + 4 << "\">" << Escape(r.groups[i].group) << "</text>\n";
  s << "<text x=\"10\" y=\"" << l.height - 10
    << "\" font-size=\"10\">log scales; hollow: no error seen, drawn at 1/pairs</text>\n";
  s << "</svg>\n";
  return s.str();
}

Status WriteDemographicPng(const DemographicReport& r, const std::filesystem::path& path) {
  const Layout l = MakeLayout(r);
  cv::Mat img(l.height, l.width, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Scalar black(0, 0, 0), grid(221, 221, 221), blue(180, 119, 31);
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  char title[160];
  std::snprintf(title, sizeof title, "Error rates by group at threshold %.3f", r.threshold);
  cv::putText(img, title, {10, 20}, font, 0.5, black, 1, cv::LINE_AA);
  const int bottom = l.Y(r.groups.size()) - kRowHeight / 2;
  for (int panel = 0; panel < 2; ++panel) {
    cv::putText(img, PanelTitle(panel), {l.PanelX(panel), kTop - 14}, font, 0.45, black, 1,
                cv::LINE_AA);
    for (int d = l.decades_low; d <= 0; ++d) {
      const int x = static_cast<int>(l.X(panel, std::pow(10.0, d)));
      cv::line(img, {x, kTop}, {x, bottom}, grid);
      cv::putText(img, "1e" + std::to_string(d), {x - 10, bottom + 16}, font, 0.35, black, 1,
                  cv::LINE_AA);
    }
    cv::rectangle(img, {l.PanelX(panel), kTop}, {l.PanelX(panel) + kPanelWidth, bottom}, black);
    for (size_t i = 0; i < r.groups.size(); ++i) {
      const auto& g = r.groups[i];
      if ((panel == 0 ? g.impostor_pairs : g.mated_pairs) == 0) continue;
      const Point p = PointOf(g, panel == 0);
      const cv::Point c(static_cast<int>(l.X(panel, p.rate)), l.Y(i));
      cv::circle(img, c, 5, blue, p.bound ? 1 : cv::FILLED, cv::LINE_AA);
    }
  }
  for (size_t i = 0; i < r.groups.size(); ++i)
    cv::putText(img, r.groups[i].group, {10, l.Y(i) + 4}, font, 0.45, black, 1, cv::LINE_AA);
  cv::putText(img, "log scales; hollow: no error seen, drawn at 1/pairs", {10, l.height - 10}, font,
              0.35, black, 1, cv::LINE_AA);
  try {
    if (!cv::imwrite(path.string(), img)) return Status::IOError("cannot write " + path.string());
  } catch (const cv::Exception& e) {
    return Status::IOError("cannot write " + path.string() + ": " + e.what());
  }
  return Status::Ok();
}

}  // namespace likeness::openset
