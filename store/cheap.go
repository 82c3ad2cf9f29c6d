package store

// #include <malloc.h>
import "C"

// cHeapInUse is the C heap glibc's malloc has handed out and not had back
// (arenas and mmapped blocks). Native memory that DuckDB's C API or arrow-go's
// C data export leak shows here and nowhere else: not in duckdb_memory(),
// not in the Go heap. The leak tests compare it before and after many writes.
func cHeapInUse() uint64 {
	mi := C.mallinfo2()
	return uint64(mi.uordblks) + uint64(mi.hblkhd)
}
