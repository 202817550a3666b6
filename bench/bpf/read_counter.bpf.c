// The hand-written baseline of bench/event_cost_benchmark.cpp: what a BPF programmer writes
// by hand for SystemTap's `c[execname()]++` on syscalls:sys_enter_read, so that the cost
// per event of stp2bpf's generated program can be compared with it.  Built at build time
// with `clang -target bpf -O2 -g`; loaded by read_counter_loader.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// execname(): the task's comm, TASK_COMM_LEN bytes.
struct comm_key {
  char comm[16];
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 2048);  // SystemTap's default MAXMAPENTRIES, as stp2bpf uses
  __type(key, struct comm_key);
  __type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_read")
int count_read(void *ctx) {
  // No zeroing first: the helper fills all 16 bytes (the name, then zeros).
  struct comm_key key;
  bpf_get_current_comm(key.comm, sizeof key.comm);
  __u64 *count = bpf_map_lookup_elem(&counts, &key);
  if (count) {
    __sync_fetch_and_add(count, 1);
    return 0;
  }
  __u64 one = 1;
  bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
