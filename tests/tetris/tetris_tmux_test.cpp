// Tetris played for real: `stp2bpf run` in an 80x25 tmux pane, keys sent through tmux,
// the screen read back.  The checks are about structure (issue 4's acceptance): walls and
// a floor are drawn, Left moves the falling piece's cells left, Up changes its shape
// (unless it is the O piece), Ctrl-C ends the game with the terminal settings as they
// were before, and no BPF program of ours stays loaded.
//
// Runs for our samples/tetris.stp and for the unmodified corpus game
// ../shared/corpus/tetris.stp.  Needs root (BPF) and tmux: without them it is SKIPPED with
// the reason.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "screen.h"
#include "support/process.h"

namespace stp2bpf::testing {
namespace {

namespace fs = std::filesystem;

void pause(double seconds) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }

// Every BPF program loaded now, by id.
std::set<uint32_t> loadedPrograms() {
  std::set<uint32_t> ids;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) ids.insert(id);
  return ids;
}

// The BPF programs a process holds: its fds on anon_inode:bpf-prog, whose fdinfo says the
// prog_id.  (Other tests may load programs meanwhile: only the game's are checked.)
std::set<uint32_t> programsHeldBy(pid_t pid) {
  std::set<uint32_t> ids;
  std::error_code ec;
  std::string dir = "/proc/" + std::to_string(pid);
  for (const auto& fd : fs::directory_iterator(dir + "/fd", ec)) {
    std::error_code linkError;
    if (fs::read_symlink(fd.path(), linkError).string() != "anon_inode:bpf-prog") continue;
    std::ifstream info(dir + "/fdinfo/" + fd.path().filename().string());
    for (std::string line; std::getline(info, line);)
      if (line.rfind("prog_id:", 0) == 0) ids.insert(static_cast<uint32_t>(std::stoul(line.substr(8))));
  }
  return ids;
}

// The first child of a process (the game, started by the pane's shell), or 0.
pid_t childOf(pid_t parent) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    std::string state;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) return static_cast<pid_t>(std::stol(name));
  }
  return 0;
}

class Tmux {
 public:
  explicit Tmux(const std::string& socket) : socket_(socket) {}
  ~Tmux() { run({"kill-server"}); }

  ProcessResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"tmux", "-L", socket_});
    ProcessOptions o;
    o.timeout = 10;
    return runProcess(args, o);
  }
  std::string capture() { return run({"capture-pane", "-p", "-e", "-N", "-t", "game"}).out; }
  void keys(const std::string& key) { run({"send-keys", "-t", "game", key}); }

 private:
  std::string socket_;
};

struct Game {
  const char* name;
  std::string path;
};

class TetrisTmux : public ::testing::TestWithParam<Game> {};

TEST_P(TetrisTmux, PlaysInTheTerminal) {
  const Game& game = GetParam();
  if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root to load BPF programs";
  if (!onPath("tmux")) GTEST_SKIP() << "SKIPPED: tmux is not installed";
  if (!fs::exists(game.path)) GTEST_SKIP() << "SKIPPED: " << game.path << " is not there";

  Tmux tmux("stp2bpf-tetris-" + std::string(game.name) + "-" + std::to_string(getpid()));
  // The shell remembers the terminal settings, runs the game, then says how it ended.
  std::string command = "S=$(stty -g); " + std::string(STP2BPF_BINARY) + " run '" + game.path +
                        "'; echo \"EXIT:$?\"; if [ \"$(stty -g)\" = \"$S\" ]; then echo TERMINAL-RESTORED; "
                        "else echo TERMINAL-CHANGED; fi; sleep 60";
  ProcessResult started = tmux.run({"new-session", "-d", "-s", "game", "-x", "80", "-y", "25", command});
  ASSERT_EQ(started.status, 0) << started.err;

  // The first frame: walls, a floor, and the first piece (the board is otherwise empty).
  Board first;
  for (int tries = 0; tries < 100 && !(first.found && first.blocks.size() == 4); ++tries) {
    pause(0.1);
    first = Board::find(Screen::parse(tmux.capture()));
  }
  std::string screen = tmux.capture();
  ASSERT_TRUE(first.found) << "no board on the screen (" << first.why << "):\n" << screen;
  EXPECT_GE(first.floorRow - first.top, 18u) << screen;
  EXPECT_GE(first.width(), 10) << screen;
  ASSERT_EQ(first.blocks.size(), 4u) << "expected one falling piece of 4 cells: " << describe(first.blocks) << "\n"
                                     << screen;
  ProcessResult pane = tmux.run({"list-panes", "-t", "game", "-F", "#{pane_pid}"});
  pid_t gamePid = childOf(static_cast<pid_t>(std::atol(pane.out.c_str())));
  std::set<uint32_t> gamePrograms = programsHeldBy(gamePid);
  EXPECT_FALSE(gamePrograms.empty()) << "the game (pid " << gamePid << ") runs, but holds no BPF program";

  // Left, three times, one key per timer tick (games keep only the last key of a tick).
  Board start = Board::find(Screen::parse(tmux.capture()));
  for (int i = 0; i < 3; ++i) {
    tmux.keys("Left");
    pause(0.2);
  }
  Board moved = Board::find(Screen::parse(tmux.capture()));
  ASSERT_TRUE(moved.found) << moved.why;
  ASSERT_EQ(moved.blocks.size(), 4u) << describe(moved.blocks);
  EXPECT_LT(minX(moved.blocks), minX(start.blocks))
      << "Left did not move the piece: before " << describe(start.blocks) << ", after " << describe(moved.blocks);
  EXPECT_EQ(normalized(moved.blocks), normalized(start.blocks)) << "the piece changed shape while moving";

  // Up rotates: the shape changes, unless it is the O piece (a 2x2 square).
  const std::set<Block> square = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  tmux.keys("Up");
  pause(0.3);
  Board turned = Board::find(Screen::parse(tmux.capture()));
  ASSERT_TRUE(turned.found) << turned.why;
  ASSERT_EQ(turned.blocks.size(), 4u) << describe(turned.blocks);
  if (normalized(moved.blocks) != square)
    EXPECT_NE(normalized(turned.blocks), normalized(moved.blocks))
        << "Up did not rotate the piece " << describe(moved.blocks);

  // Ctrl-C: the game ends like stap does (status 0), and the terminal is restored.
  tmux.keys("C-c");
  std::string after;
  for (int tries = 0; tries < 100; ++tries) {
    pause(0.1);
    after = tmux.capture();
    if (after.find("TERMINAL-") != std::string::npos) break;
  }
  EXPECT_NE(after.find("EXIT:0"), std::string::npos) << after;
  EXPECT_NE(after.find("TERMINAL-RESTORED"), std::string::npos) << after;

  std::set<uint32_t> loaded = loadedPrograms(), left;
  for (uint32_t id : gamePrograms)
    if (loaded.count(id)) left.insert(id);
  EXPECT_TRUE(left.empty()) << left.size() << " of the game's " << gamePrograms.size()
                            << " BPF programs are still loaded after it ended";
}

INSTANTIATE_TEST_SUITE_P(Games, TetrisTmux,
                         ::testing::Values(Game{"samples", std::string(STP2BPF_SOURCE_DIR) + "/samples/tetris.stp"},
                                           Game{"corpus", std::string(STP2BPF_SHARED_DIR) + "/corpus/tetris.stp"}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace stp2bpf::testing
