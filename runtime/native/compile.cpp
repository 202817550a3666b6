#include "runtime/native/compile.h"

#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <clang/Lex/PreprocessorOptions.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Passes/PassPlugin.h>
#include <llvm/Support/ErrorHandling.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

#include <unistd.h>

#include <cstring>
#include <mutex>

extern "C" {
void LLVMInitializeBPFTargetInfo();
void LLVMInitializeBPFTarget();
void LLVMInitializeBPFTargetMC();
void LLVMInitializeBPFAsmPrinter();
void LLVMInitializeBPFAsmParser();
}

// Debian's LLVM 14 registers Polly as a pass-builder extension (llvm/Support/Extension.def),
// and clang's back end calls getPollyPluginInfo() for every compile.  The module links
// LLVM statically without Polly: an extension that registers nothing stands in for it.
llvm::PassPluginLibraryInfo getPollyPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "Polly (not linked)", "0", [](llvm::PassBuilder&) {}};
}

namespace stp2bpf::runtime {

namespace {

// A pwrite stream into memory (EmitObjAction wants a seekable stream).
class MemoryStream : public llvm::raw_pwrite_stream {
 public:
  explicit MemoryStream(std::vector<char>& out) : out_(out) { SetUnbuffered(); }
  void pwrite_impl(const char* ptr, size_t size, uint64_t offset) override {
    if (offset + size > out_.size()) out_.resize(offset + size);
    std::copy(ptr, ptr + size, out_.begin() + static_cast<long>(offset));
  }

 private:
  void write_impl(const char* ptr, size_t size) override { out_.insert(out_.end(), ptr, ptr + size); }
  uint64_t current_pos() const override { return out_.size(); }
  std::vector<char>& out_;
};

// LLVM's code generator aborts the process on what it cannot select (say, a signed
// division the BPF target lacks).  That is our bug, not the user's: say so and exit with
// status 1 instead of a core dump.  Nothing is half-written at this stage.
void fatalCompileError(void*, const char* reason, bool) {
  std::string text = reason ? reason : "unknown error";
  text = text.substr(0, text.find('\n'));
  std::string message = "stp2bpf: error: LLVM could not compile the generated BPF C (this is a bug in stp2bpf): " +
                        text + "\n";
  (void)!write(STDERR_FILENO, message.data(), message.size());
  _exit(1);
}

}  // namespace

// The module's entry point, found with dlsym by compile_loader.cpp.
extern "C" void stp2bpf_compile_bpf(const CompileInput* input, CompileResult* result) {
  *result = compileBpfInProcess(*input);
}

CompileResult compileBpfInProcess(const CompileInput& input) {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
    LLVMInitializeBPFAsmParser();  // inline asm (stp_bound) goes through the parser
    llvm::install_fatal_error_handler(fatalCompileError);
  });

  CompileResult result;
  std::string diagText;
  llvm::raw_string_ostream diagStream(diagText);
  auto diagOpts = llvm::makeIntrusiveRefCnt<clang::DiagnosticOptions>();
  auto* printer = new clang::TextDiagnosticPrinter(diagStream, diagOpts.get());
  auto diagIds = llvm::makeIntrusiveRefCnt<clang::DiagnosticIDs>();
  clang::DiagnosticsEngine diags(diagIds, diagOpts, printer, /*ShouldOwnClient=*/false);

  // cc1 arguments (the driver's are not accepted here): a BPF object with BTF, as
  // `clang -target bpf -O2 -g -c` would produce.
  std::vector<std::string> args = {"-triple", "bpf", "-O2", "-emit-obj",
                                   "-debug-info-kind=constructor", "-dwarf-version=5",
                                   "-nostdsysteminc", "-nobuiltininc", "-I", "/stp2bpf",
                                   "-Wno-unused-value", "-Wno-pointer-sign", "-Wno-unused-function",
                                   "-Wno-compare-distinct-pointer-types", "-w" /* only errors: warnings would print a
                                   count on stderr, which is the script's */, "-ferror-limit", "20",
                                   "-o", "-", input.fileName};
  for (const std::string& d : input.defines) {
    args.insert(args.begin(), "-D" + d);
  }
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());

  auto invocation = std::make_shared<clang::CompilerInvocation>();
  if (!clang::CompilerInvocation::CreateFromArgs(*invocation, argv, diags)) {
    diagStream.flush();
    result.diagnostics = diagText;
    return result;
  }
  auto& pp = invocation->getPreprocessorOpts();
  pp.addRemappedFile(input.fileName, llvm::MemoryBuffer::getMemBufferCopy(input.source, input.fileName).release());
  for (const auto& [name, text] : input.headers) {
    std::string path = "/stp2bpf/" + name;
    pp.addRemappedFile(path, llvm::MemoryBuffer::getMemBufferCopy(text, path).release());
  }
  pp.RetainRemappedFileBuffers = false;

  clang::CompilerInstance ci;
  ci.setInvocation(invocation);
  ci.createDiagnostics(printer, /*ShouldOwnClient=*/false);
  ci.setOutputStream(std::make_unique<MemoryStream>(result.object));
  clang::EmitObjAction action;
  bool ok = ci.ExecuteAction(action);
  diagStream.flush();
  result.diagnostics = diagText;
  result.ok = ok && !ci.getDiagnostics().hasErrorOccurred() && !result.object.empty();
  delete printer;
  return result;
}

}  // namespace stp2bpf::runtime
