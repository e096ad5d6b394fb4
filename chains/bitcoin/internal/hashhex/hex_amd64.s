//go:build amd64 && !purego

#include "textflag.h"

// reverse: PSHUFB indexes that reverse the 16 bytes of a register.
DATA reverse<>+0(SB)/8, $0x08090a0b0c0d0e0f
DATA reverse<>+8(SB)/8, $0x0001020304050607
GLOBL reverse<>(SB), RODATA|NOPTR, $16

DATA digits<>+0(SB)/8, $0x3736353433323130 // "01234567"
DATA digits<>+8(SB)/8, $0x6665646362613938 // "89abcdef"
GLOBL digits<>(SB), RODATA|NOPTR, $16

DATA nibble<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibble<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL nibble<>(SB), RODATA|NOPTR, $16

// HEX writes the 16 bytes in register X (already reversed) as 32 hex
// digits at off(DI): high nibble first, then low, byte by byte.
#define HEX(X, off) \
	MOVO X, X4 \
	PSRLW $4, X4 \
	PAND X7, X4 \
	PAND X7, X \
	MOVO X6, X5 \
	PSHUFB X4, X5 \
	MOVO X6, X4 \
	PSHUFB X, X4 \
	MOVO X5, X \
	PUNPCKLBW X4, X \
	PUNPCKHBW X4, X5 \
	MOVOU X, off(DI) \
	MOVOU X5, off+16(DI)

// func put(dst *[64]byte, h *[32]byte)
TEXT ·put(SB), NOSPLIT, $0-16
	MOVQ dst+0(FP), DI
	MOVQ h+8(FP), SI
	MOVOU reverse<>(SB), X3
	MOVOU digits<>(SB), X6
	MOVOU nibble<>(SB), X7
	MOVOU 16(SI), X0 // bytes 16..31 are shown first, last byte leading
	MOVOU (SI), X1
	PSHUFB X3, X0
	PSHUFB X3, X1
	HEX(X0, 0)
	HEX(X1, 32)
	RET
