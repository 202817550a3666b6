// `stp2bpf port DIR... -o OUTDIR [--report R.json]`: translates every .stp file of one or
// more trees into OUTDIR (same relative paths), each in a child process of this binary, and
// writes a JSON report of what ported, what did not and why.
#pragma once

namespace stp2bpf::port {

// argv[0] is the command's name ("stp2bpf port"), the rest its options and directories.
// Returns the process exit status: 0 the port ran (failed scripts are in the report),
// 1 a script crashed or timed out (or the report could not be written), 2 a usage error.
int portMain(int argc, char** argv);

}  // namespace stp2bpf::port
