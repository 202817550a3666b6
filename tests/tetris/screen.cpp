#include "screen.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace stp2bpf::testing {

namespace {

// Applies the parameters of one SGR sequence (`ESC [ p;p;... m`) to the background.
void applySgr(const std::string& params, int& bg) {
  std::vector<int> codes;
  std::stringstream in(params);
  std::string item;
  while (std::getline(in, item, ';')) codes.push_back(item.empty() ? 0 : std::stoi(item));
  if (codes.empty()) codes.push_back(0);
  for (size_t i = 0; i < codes.size(); ++i) {
    int c = codes[i];
    if (c == 0 || c == 49) bg = 0;
    else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) bg = c;
    else if (c == 48 && i + 1 < codes.size()) {
      // 48;5;N (256 colours) or 48;2;R;G;B: any such colour counts as painted.
      bg = 1000 + (codes[i + 1] == 5 && i + 2 < codes.size() ? codes[i + 2] : 0);
      i += codes[i + 1] == 5 ? 2 : 4;
    } else if (c == 38 && i + 1 < codes.size()) {
      i += codes[i + 1] == 5 ? 2 : 4;  // foreground colours: not ours to track
    }
  }
}

}  // namespace

Screen Screen::parse(const std::string& capture) {
  Screen s;
  int bg = 0;  // tmux writes attributes only where they change, across line ends too
  std::vector<int> row;
  std::string text;
  for (size_t i = 0; i < capture.size(); ++i) {
    char c = capture[i];
    if (c == '\n') {
      s.bg.push_back(row);
      s.text.push_back(text);
      row.clear();
      text.clear();
      continue;
    }
    if (c == '\033' && i + 1 < capture.size() && capture[i + 1] == '[') {
      size_t end = i + 2;
      while (end < capture.size() && !(capture[end] >= '@' && capture[end] <= '~')) ++end;
      if (end < capture.size() && capture[end] == 'm') applySgr(capture.substr(i + 2, end - i - 2), bg);
      i = end;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80 && (static_cast<unsigned char>(c) & 0xC0) == 0x80) {
      text += c;  // continuation byte of a UTF-8 character: same cell
      continue;
    }
    row.push_back(bg);
    text += c;
  }
  if (!row.empty()) {
    s.bg.push_back(row);
    s.text.push_back(text);
  }
  return s;
}

Board Board::find(const Screen& screen, size_t minRows) {
  Board b;
  // Each row's outermost painted columns; the board's rows share them (the two walls).
  std::map<std::pair<size_t, size_t>, size_t> votes;
  std::vector<std::pair<size_t, size_t>> edges(screen.bg.size(), {0, 0});
  for (size_t r = 0; r < screen.bg.size(); ++r) {
    const auto& row = screen.bg[r];
    size_t first = row.size(), last = 0;
    for (size_t c = 0; c < row.size(); ++c)
      if (row[c]) {
        first = std::min(first, c);
        last = c;
      }
    if (first >= row.size() || last < first + 7) continue;
    if (!screen.painted(r, first + 1) || !screen.painted(r, last - 1)) continue;
    edges[r] = {first, last};
    ++votes[edges[r]];
  }
  if (votes.empty()) {
    b.why = "no row has painted walls on both sides";
    return b;
  }
  auto best = std::max_element(votes.begin(), votes.end(),
                               [](const auto& a, const auto& c) { return a.second < c.second; });
  b.left = best->first.first;
  b.right = best->first.second;

  // The longest run of rows with exactly these walls, then the floor below it.
  size_t runStart = 0, runLength = 0;
  for (size_t r = 0; r < edges.size();) {
    if (edges[r] != best->first) {
      ++r;
      continue;
    }
    size_t s = r;
    while (r < edges.size() && edges[r] == best->first) ++r;
    if (r - s > runLength) runStart = s, runLength = r - s;
  }
  // A full-width row inside the run is the floor (or a full line about to clear): the
  // board ends at the last one.
  size_t floorRow = runStart + runLength;
  for (size_t r = runStart + runLength; r-- > runStart;) {
    bool full = true;
    for (size_t c = b.left; c <= b.right && full; ++c) full = screen.painted(r, c);
    if (full) {
      floorRow = r;
      break;
    }
  }
  if (floorRow == runStart + runLength) {
    b.why = "no floor (a painted row from wall to wall) below the walls";
    return b;
  }
  if (floorRow - runStart < minRows) {
    b.why = "walls only " + std::to_string(floorRow - runStart) + " rows high";
    return b;
  }
  b.top = runStart;
  b.floorRow = floorRow;
  for (size_t r = b.top; r < b.floorRow; ++r)
    for (size_t c = b.left + 2; c + 1 <= b.right - 2; c += 2)
      if (screen.painted(r, c))
        b.blocks.insert({static_cast<int>((c - b.left - 2) / 2), static_cast<int>(r - b.top)});
  b.found = true;
  return b;
}

std::set<Block> normalized(const std::set<Block>& blocks) {
  if (blocks.empty()) return blocks;
  int x0 = blocks.begin()->first, y0 = blocks.begin()->second;
  for (const Block& k : blocks) x0 = std::min(x0, k.first), y0 = std::min(y0, k.second);
  std::set<Block> out;
  for (const Block& k : blocks) out.insert({k.first - x0, k.second - y0});
  return out;
}

int minX(const std::set<Block>& blocks) {
  int x = 1 << 30;
  for (const Block& k : blocks) x = std::min(x, k.first);
  return x;
}

std::string describe(const std::set<Block>& blocks) {
  std::string s;
  for (const Block& k : blocks) s += "(" + std::to_string(k.first) + "," + std::to_string(k.second) + ")";
  return s.empty() ? "(none)" : s;
}

}  // namespace stp2bpf::testing
