// A terminal screen as tmux shows it (`capture-pane -p -e -N`), reduced to what a game
// test needs: the background colour of every cell, and the Tetris board found in it by
// its structure (two walls, a floor), never by exact pixels.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace stp2bpf::testing {

// Background colour of a cell as its SGR code (41..47, 100..107, ...), 0 for the default.
struct Screen {
  std::vector<std::vector<int>> bg;   // [row][column]
  std::vector<std::string> text;      // the characters, escape sequences removed

  static Screen parse(const std::string& capture);
  bool painted(size_t row, size_t col) const {
    return row < bg.size() && col < bg[row].size() && bg[row][col] != 0;
  }
};

// A block is one board cell (two terminal columns), as (x, y) from the board's top left.
using Block = std::pair<int, int>;

struct Board {
  bool found = false;
  std::string why;                // when not found: what was missing
  size_t top = 0, floorRow = 0;   // terminal rows: first board row, the floor
  size_t left = 0, right = 0;     // terminal columns of the outer wall edges
  std::set<Block> blocks;         // painted cells inside the walls

  static Board find(const Screen& screen, size_t minRows = 15);
  int width() const { return static_cast<int>((right - left + 1 - 4) / 2); }
};

// The blocks moved so that the smallest x and y are 0: the shape without its position.
std::set<Block> normalized(const std::set<Block>& blocks);
int minX(const std::set<Block>& blocks);
std::string describe(const std::set<Block>& blocks);

}  // namespace stp2bpf::testing
