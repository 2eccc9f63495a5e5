/*
 * bcryptprimitives.dll for the wine test prefix only (never shipped).
 *
 * Go 1.24 and newer Windows binaries get their random bytes from
 * ProcessPrng in bcryptprimitives.dll, which Windows 10 has and Debian's
 * wine 8 lacks, so without this DLL ipfwatch.exe dies at start-up under
 * wine. RtlGenRandom (exported by advapi32 as SystemFunction036) gives the
 * same: bytes from the system's CSPRNG.
 */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	return RtlGenRandom(data, (ULONG)len);
}
