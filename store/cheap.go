package store

// #include <malloc.h>
import "C"

// cHeapInUse is the C heap glibc's malloc has handed out and not had back
// (arenas and mmapped blocks). Native memory that DuckDB's C API or arrow-go's
// C data export leak shows here and nowhere else: not in duckdb_memory(),
// not in the Go heap. The leak tests compare it before and after many writes,
// and the native memory keeper (native.go) watches it.
func cHeapInUse() uint64 {
	mi := C.mallinfo2()
	return uint64(mi.uordblks) + uint64(mi.hblkhd)
}

// mallocTrim hands the free pages of glibc's heap back to the kernel, so
// that what the keeper released shows in the process's RSS too.
func mallocTrim() {
	C.malloc_trim(0)
}
