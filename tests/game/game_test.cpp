// Games under bpftrace (README.md in tests/golden explains the other bpftrace tests):
//   breakout.runs_in_tmux          samples/breakout.stp runs under bpftrace in an 80x25 tmux
//                                  pane; two captures show the same box (top wall, side
//                                  walls, floor), bricks and a paddle, and the ball moved;
//   tetris.translates              ../shared/corpus/tetris.stp translates to a .bt file;
//   tetris.bpftrace_refusal_is_explained
//                                  running it under bpftrace 0.17 fails in the verifier, and
//                                  stp2bpf says which probe, which loops (with their .stp
//                                  lines and bounds), which limit, and points to --target=c.
// Structure, not pixels: the checks find the board by its walls, wherever it is drawn.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "support/process.h"

namespace {

namespace fs = std::filesystem;
using stp2bpf::testing::onPath;
using stp2bpf::testing::ProcessOptions;
using stp2bpf::testing::ProcessResult;
using stp2bpf::testing::readFile;
using stp2bpf::testing::runProcess;

const std::string kSource = STP2BPF_SOURCE_DIR;
const std::string kTetris = std::string(STP2BPF_SHARED_DIR) + "/corpus/tetris.stp";

void requireBpftrace() {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (bpftrace loads programs into the kernel)";
  if (!onPath("bpftrace")) GTEST_SKIP() << "needs bpftrace on PATH";
}

// ---------------------------------------------------------------- the board on screen

struct Board {
  bool found = false;
  std::string why;  // when not found
  int top = -1, floor = -1, left = -1, right = -1;  // rows and columns of the walls
  int ballRow = -1, ballCol = -1;
  int paddleRow = -1, paddleCol = -1;
  int bricks = 0;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

char at(const std::vector<std::string>& s, int row, int col) {
  if (row < 0 || row >= static_cast<int>(s.size()) || col < 0 || col >= static_cast<int>(s[row].size())) return ' ';
  return s[row][col];
}

// The longest run of '#' in a row.
std::pair<int, int> wallRun(const std::string& l) {
  int bestStart = -1, bestLen = 0;
  for (size_t i = 0; i < l.size();) {
    if (l[i] != '#') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < l.size() && l[j] == '#') ++j;
    if (static_cast<int>(j - i) > bestLen) {
      bestLen = static_cast<int>(j - i);
      bestStart = static_cast<int>(i);
    }
    i = j;
  }
  return {bestStart, bestLen};
}

// Finds the box: a top wall and a floor of '#' as wide as each other, '#' at both ends of
// every row between them; inside it one ball 'O', a paddle "=======" on the row above the
// floor, and bricks "[]".
Board parseBoard(const std::string& screen) {
  Board b;
  std::vector<std::string> s = lines(screen);
  for (int r = 0; r < static_cast<int>(s.size()) && b.top < 0; ++r) {
    auto [start, len] = wallRun(s[r]);
    if (len >= 20) {
      b.top = r;
      b.left = start;
      b.right = start + len - 1;
    }
  }
  if (b.top < 0) {
    b.why = "no top wall (a row of 20 or more '#')";
    return b;
  }
  for (int r = b.top + 1; r < static_cast<int>(s.size()); ++r) {
    auto [start, len] = wallRun(s[r]);
    if (start == b.left && start + len - 1 == b.right) {
      b.floor = r;
      break;
    }
    if (at(s, r, b.left) != '#' || at(s, r, b.right) != '#') {
      b.why = "row " + std::to_string(r) + " has no side walls at columns " + std::to_string(b.left) + " and " +
              std::to_string(b.right);
      return b;
    }
  }
  if (b.floor < 0 || b.floor - b.top < 4) {
    b.why = "no floor under the top wall";
    return b;
  }
  for (int r = b.top + 1; r < b.floor; ++r) {
    for (int c = b.left + 1; c < b.right; ++c) {
      char ch = at(s, r, c);
      if (ch == 'O') {
        if (b.ballRow >= 0) {
          b.why = "two balls";
          return b;
        }
        b.ballRow = r;
        b.ballCol = c;
      } else if (ch == '[' && at(s, r, c + 1) == ']') {
        ++b.bricks;
      }
    }
  }
  size_t paddle = s[b.floor - 1].find("=======");
  if (paddle != std::string::npos) {
    b.paddleRow = b.floor - 1;
    b.paddleCol = static_cast<int>(paddle);
  }
  if (b.ballRow < 0) b.why = "no ball 'O' inside the box";
  else if (b.paddleRow < 0) b.why = "no paddle on the row above the floor";
  else if (b.bricks == 0) b.why = "no bricks";
  else b.found = true;
  return b;
}

// ---------------------------------------------------------------- tmux

class Tmux {
 public:
  Tmux() : socket_("stp2bpf-game-" + std::to_string(getpid())) {}
  ~Tmux() { run({"kill-server"}); }
  ProcessResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"tmux", "-L", socket_});
    ProcessOptions po;
    po.timeout = 20;
    return runProcess(args, po);
  }
  std::string capture() { return run({"capture-pane", "-p", "-t", "game"}).out; }

 private:
  std::string socket_;
};

TEST(breakout, runs_in_tmux) {
  requireBpftrace();
  if (!onPath("tmux")) GTEST_SKIP() << "needs tmux";
  Tmux tmux;
  // The pane keeps what stp2bpf printed if it stops early (sleep), for the failure message.
  std::string command = "cd '" + kSource + "' && '" + std::string(STP2BPF_BINARY) +
                        "' run --backend=bpftrace samples/breakout.stp 2>/tmp/stp2bpf-breakout.err; sleep 60";
  ProcessResult started = tmux.run({"new-session", "-d", "-s", "game", "-x", "80", "-y", "25", command});
  ASSERT_EQ(started.status, 0) << "tmux new-session failed: " << started.err;

  // bpftrace compiles and loads the program first: wait for the board.
  Board first;
  std::string screen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    screen = tmux.capture();
    first = parseBoard(screen);
    if (first.found) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_TRUE(first.found) << "no board on the screen after 60 s (" << first.why << "):\n"
                           << screen << "\nstderr:\n" << readFile("/tmp/stp2bpf-breakout.err");

  // The ball moves every 50 ms: a second look 700 ms later finds it elsewhere.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  std::string screen2 = tmux.capture();
  Board second = parseBoard(screen2);
  ASSERT_TRUE(second.found) << "the board is gone in the second capture (" << second.why << "):\n" << screen2;
  EXPECT_EQ(second.top, first.top) << "the box moved";
  EXPECT_EQ(second.floor, first.floor) << "the floor moved";
  EXPECT_EQ(second.left, first.left) << "the left wall moved";
  EXPECT_EQ(second.right, first.right) << "the right wall moved";
  EXPECT_TRUE(second.ballRow != first.ballRow || second.ballCol != first.ballCol)
      << "the ball did not move:\n" << screen << "\n" << screen2;
  EXPECT_LE(second.bricks, first.bricks) << "bricks appeared";
  EXPECT_EQ(second.paddleRow, first.paddleRow);

  tmux.run({"send-keys", "-t", "game", "C-c"});  // like a player: Ctrl-C ends the game
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

// ---------------------------------------------------------------- tetris

TEST(tetris, translates) {
  if (!fs::exists(kTetris)) GTEST_SKIP() << "no " << kTetris << " (../shared beside the clone)";
  std::string dir = stp2bpf::testing::makeTempDir("stp2bpf-tetris");
  ProcessOptions po;
  po.env = {"NO_COLOR=1"};
  ProcessResult r = runProcess({STP2BPF_BINARY, kTetris, "-o", dir + "/tetris.bt"}, po);
  EXPECT_EQ(r.status, 0) << r.err;
  std::string bt = readFile(dir + "/tetris.bt");
  stp2bpf::testing::removeTree(dir);
  EXPECT_NE(bt.find("interval:ms:99 {"), std::string::npos) << "the game's timer probe";
  EXPECT_NE(bt.find("// tetris.stp:37: probe timer.ms(99)"), std::string::npos) << "comments with the .stp lines";
  EXPECT_NE(bt.find("@__str["), std::string::npos) << "the board's strings, interned";
  if (bt.find("kprobe:kbd_event") == std::string::npos && bt.find("kfunc:kbd_event") == std::string::npos) {
    // No kprobes here: the keyboard probe is left out, with a comment and a warning.
    EXPECT_NE(bt.find("probe kernel.function(\"kbd_event\") left out"), std::string::npos);
    EXPECT_NE(r.err.find("warning: probe kernel.function(\"kbd_event\") is left out"), std::string::npos) << r.err;
  }
}

TEST(tetris, bpftrace_refusal_is_explained) {
  requireBpftrace();
  if (!fs::exists(kTetris)) GTEST_SKIP() << "no " << kTetris << " (../shared beside the clone)";
  ProcessOptions po;
  po.env = {"NO_COLOR=1"};
  po.timeout = 300;  // bpftrace, then the verifier twice (the second time for its log)
  ProcessResult r = runProcess({STP2BPF_BINARY, "run", "--backend=bpftrace", kTetris}, po);
  if (r.status == 0) GTEST_SKIP() << "bpftrace's verifier accepted tetris.stp here: nothing to explain";
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "") << "nothing is drawn";
  const std::string& e = r.err;
  for (const char* want : {
           "the kernel's verifier refused the bpftrace translation of",
           "(probe interval:ms:99)",                      // the bpftrace probe
           "the probe: tetris.stp:37: probe timer.ms(99)",  // ... and the .stp probe it comes from
           "the loops responsible:",
           "tetris.stp:75: for loop",  // the line-clear loops: `for(i=19;i--;)` ...
           "tetris.stp:77: for loop",  // ... `for(j=11;--j&&Z[i*12+j]!=T;);`
           "tetris.stp:81: for loop",  // ... and the row copy
           "tetris.stp:85: for loop",  // the drawing loop
           "passes",                   // each loop's bound
           "--target=c",
       })
    EXPECT_NE(e.find(want), std::string::npos) << "missing \"" << want << "\" in:\n" << e;
  // Which verifier limit was hit.
  EXPECT_TRUE(e.find("BPF_COMPLEXITY_LIMIT_JMP_SEQ") != std::string::npos ||
              e.find("1,000,000 processed instructions") != std::string::npos ||
              e.find("stack limit") != std::string::npos)
      << "no verifier limit named in:\n" << e;
}

}  // namespace
