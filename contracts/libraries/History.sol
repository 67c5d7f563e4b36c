// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title History
/// @notice A value's history by key (the registry's activation times), like OpenZeppelin's
///         Checkpoints but with the latest entry and the entry count in **one** storage word:
///         reading the value as of a key at or after the latest entry's, what a committee draw
///         does for almost every tree node and slot owner it visits, costs one storage read
///         instead of two (the array length, then its last element). Older entries live in a
///         mapping by index and are searched, recent first, only for a key before the latest.
/// @dev head = count (32 bits) | key (32 bits) | value (192 bits); past[i] = key | value for
///      the i-th older entry (keys ascending). Keys must never decrease across pushes and fit
///      32 bits (Unix times until 2106); values fit 192 bits. A push with the latest key
///      overwrites the latest value.
library History {
    uint256 private constant VALUE_BITS = 192;
    uint256 private constant VALUE_MASK = (uint256(1) << VALUE_BITS) - 1;
    uint256 private constant KEY_MASK = 0xffffffff;
    uint256 private constant WIDE_BITS = 224;
    uint256 private constant WIDE_MASK = (uint256(1) << WIDE_BITS) - 1;

    error HistoryKeyDecreased(uint256 latest, uint256 key);
    error HistoryKeyTooLarge(uint256 key);
    error HistoryValueTooLarge(uint256 value);

    struct Trace {
        uint256 head;
        mapping(uint256 => uint256) past;
    }

    /// @dev A history of values up to 224 bits (an evaluator's packed state): head = key (32
    ///      bits) | value (224 bits), the latest entry, so that reading as of a key at or after
    ///      it is still one storage read; `count` older entries in `past` (key | value).
    struct Wide {
        uint256 head;
        uint256 count;
        mapping(uint256 => uint256) past;
    }

    /// @notice Records `value` from `key` on.
    function push(Trace storage t, uint256 key, uint256 value) internal {
        if (key > KEY_MASK) revert HistoryKeyTooLarge(key);
        if (value > VALUE_MASK) revert HistoryValueTooLarge(value);
        uint256 head = t.head;
        if (head == 0) {
            t.head = (key << VALUE_BITS) | value;
            return;
        }
        uint256 last = (head >> VALUE_BITS) & KEY_MASK;
        if (key < last) revert HistoryKeyDecreased(last, key);
        if (key == last) {
            t.head = (head & ~VALUE_MASK) | value;
            return;
        }
        uint256 count = head >> (VALUE_BITS + 32);
        t.past[count] = head & ((KEY_MASK << VALUE_BITS) | VALUE_MASK);
        t.head = ((count + 1) << (VALUE_BITS + 32)) | (key << VALUE_BITS) | value;
    }

    /// @notice The latest value (0 when empty).
    function latest(Trace storage t) internal view returns (uint256) {
        return t.head & VALUE_MASK;
    }

    /// @notice The value in force at `key`: that of the last entry whose key is at most `key`
    ///         (0 before the first). One storage read when `key` is at or after the latest.
    function valueAt(Trace storage t, uint256 key) internal view returns (uint256) {
        uint256 head = t.head;
        if ((head >> VALUE_BITS) & KEY_MASK <= key) return head & VALUE_MASK; // also: empty
        return _search(t.past, head >> (VALUE_BITS + 32), key, VALUE_BITS);
    }

    /// @notice Number of entries (older ones plus the latest).
    function length(Trace storage t) internal view returns (uint256) {
        uint256 head = t.head;
        return head == 0 ? 0 : (head >> (VALUE_BITS + 32)) + 1;
    }

    // ------------------------------------------------------------------ Wide: 224-bit values

    /// @notice Records `value` (up to 224 bits) from `key` on. The entry count has a word of its
    ///         own, read only by pushes and by lookups before the latest key.
    function push(Wide storage t, uint256 key, uint256 value) internal {
        if (key > KEY_MASK) revert HistoryKeyTooLarge(key);
        if (value > WIDE_MASK) revert HistoryValueTooLarge(value);
        uint256 head = t.head;
        uint256 entry = (key << WIDE_BITS) | value;
        if (head != 0) {
            uint256 last = head >> WIDE_BITS;
            if (key < last) revert HistoryKeyDecreased(last, key);
            if (key != last) t.past[t.count++] = head;
        }
        t.head = entry;
    }

    /// @notice The latest value (0 when empty).
    function latest(Wide storage t) internal view returns (uint256) {
        return t.head & WIDE_MASK;
    }

    /// @notice The latest entry's key (0 when empty).
    function latestKey(Wide storage t) internal view returns (uint256) {
        return t.head >> WIDE_BITS;
    }

    /// @notice The value in force at `key` (0 before the first entry). One storage read when
    ///         `key` is at or after the latest entry's.
    function valueAt(Wide storage t, uint256 key) internal view returns (uint256) {
        uint256 head = t.head;
        if (head >> WIDE_BITS <= key) return head & WIDE_MASK; // also: empty
        return _search(t.past, t.count, key, WIDE_BITS);
    }

    /// @notice Number of entries (older ones plus the latest).
    function length(Wide storage t) internal view returns (uint256) {
        return t.head == 0 ? 0 : t.count + 1;
    }

    /// @dev The value of the last of `past[0..count)` whose key (above `bits`) is at most `key`
    ///      (0 when none), the most recent first (OpenZeppelin's upperLookupRecent: a probe
    ///      sqrt(count) from the end, then a binary search).
    function _search(mapping(uint256 => uint256) storage past, uint256 count, uint256 key, uint256 bits)
        private
        view
        returns (uint256)
    {
        uint256 high = count;
        uint256 low;
        if (high > 5) {
            uint256 mid = high - _sqrt(high);
            if (key < (past[mid] >> bits) & KEY_MASK) high = mid;
            else low = mid + 1;
        }
        while (low < high) {
            uint256 mid = (low + high) >> 1;
            if ((past[mid] >> bits) & KEY_MASK > key) high = mid;
            else low = mid + 1;
        }
        return high == 0 ? 0 : past[high - 1] & ((uint256(1) << bits) - 1);
    }

    function _sqrt(uint256 x) private pure returns (uint256 r) {
        // floor(sqrt(x)) for the probe; x < 2^32
        r = x;
        uint256 y = (x + 1) >> 1;
        while (y < r) {
            r = y;
            y = (x / y + y) >> 1;
        }
    }
}
