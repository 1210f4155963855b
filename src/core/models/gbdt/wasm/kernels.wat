;; Hot kernels of the GBDT (grower.ts, binning.ts, objective.ts in src/core/models/gbdt) in WebAssembly:
;; they run at near-native speed from the first call, where the JavaScript versions first run
;; interpreted and then wait for the optimising compiler (most of a cold fit's extra time). Each does
;; exactly what its JavaScript twin does, with the same f64 operations in the same order, so models are
;; bit-identical (test/core/models/gbdt-wasm.test.ts).
;;
;; All pointers are byte offsets into the imported memory. Layouts (as in grower.ts): gbin = row-major
;; u16 global bin indices (offsets[f] + bin, row r at r * F); gh = f64 pairs (g, h) per row; idx and
;; scratch = i32 row lists; col = column-major u8 bins; hist = f64 [g, h] (stride 2) or [g, h, count]
;; (stride 3) per global bin.
;;
;; Memory starts with a table of constants for loglossGrad (written by objective.ts, see
;; LOGLOSS_KERNEL_TABLE there); the caller's data follow it (from KERNEL_BASE in kernels.ts).
;;
;; The committed bytes (wasm/kernels.bytes.ts) are generated from this file by
;;   npx tsx bench/gbdt/build-wasm.ts
;; (wabt's wat2wasm); a unit test checks that they match.
(module
  ;; The portable exp of src/core/util/portable-math.ts, for fastExp's arguments beyond its tables.
  (import "env" "exp" (func $exp (param f64) (result f64)))
  (import "env" "memory" (memory 1))

  ;; buildHistG2: hist = [g, h] sums over rows idx[start..end) of every feature's bin.
  (func (export "hist2")
    (param $hist i32) (param $histBytes i32) (param $gbin i32) (param $F i32)
    (param $idx i32) (param $start i32) (param $end i32) (param $gh i32)
    (local $k i32) (local $kEnd i32) (local $r i32) (local $g f64) (local $h f64)
    (local $p i32) (local $p4 i32) (local $pEnd i32) (local $j i32)
    (memory.fill (local.get $hist) (i32.const 0) (local.get $histBytes))
    (local.set $k (i32.add (local.get $idx) (i32.shl (local.get $start) (i32.const 2))))
    (local.set $kEnd (i32.add (local.get $idx) (i32.shl (local.get $end) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $k) (local.get $kEnd)))
      (loop $rows
        (local.set $r (i32.load (local.get $k)))
        (local.set $p (i32.add (local.get $gh) (i32.shl (local.get $r) (i32.const 4))))
        (local.set $g (f64.load (local.get $p)))
        (local.set $h (f64.load offset=8 (local.get $p)))
        (local.set $p (i32.add (local.get $gbin) (i32.shl (i32.mul (local.get $r) (local.get $F)) (i32.const 1))))
        (local.set $p4 (i32.add (local.get $p) (i32.shl (i32.and (local.get $F) (i32.const -4)) (i32.const 1))))
        (local.set $pEnd (i32.add (local.get $p) (i32.shl (local.get $F) (i32.const 1))))
        (block $quadsDone
          (br_if $quadsDone (i32.ge_u (local.get $p) (local.get $p4)))
          (loop $quads
            (local.set $j (i32.add (local.get $hist) (i32.shl (i32.load16_u offset=0 (local.get $p)) (i32.const 4))))
            (f64.store (local.get $j) (f64.add (f64.load (local.get $j)) (local.get $g)))
            (f64.store offset=8 (local.get $j) (f64.add (f64.load offset=8 (local.get $j)) (local.get $h)))
            (local.set $j (i32.add (local.get $hist) (i32.shl (i32.load16_u offset=2 (local.get $p)) (i32.const 4))))
            (f64.store (local.get $j) (f64.add (f64.load (local.get $j)) (local.get $g)))
            (f64.store offset=8 (local.get $j) (f64.add (f64.load offset=8 (local.get $j)) (local.get $h)))
            (local.set $j (i32.add (local.get $hist) (i32.shl (i32.load16_u offset=4 (local.get $p)) (i32.const 4))))
            (f64.store (local.get $j) (f64.add (f64.load (local.get $j)) (local.get $g)))
            (f64.store offset=8 (local.get $j) (f64.add (f64.load offset=8 (local.get $j)) (local.get $h)))
            (local.set $j (i32.add (local.get $hist) (i32.shl (i32.load16_u offset=6 (local.get $p)) (i32.const 4))))
            (f64.store (local.get $j) (f64.add (f64.load (local.get $j)) (local.get $g)))
            (f64.store offset=8 (local.get $j) (f64.add (f64.load offset=8 (local.get $j)) (local.get $h)))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br_if $quads (i32.lt_u (local.get $p) (local.get $p4)))))
        (block $tailDone
          (br_if $tailDone (i32.ge_u (local.get $p) (local.get $pEnd)))
          (loop $tail
            (local.set $j (i32.add (local.get $hist) (i32.shl (i32.load16_u offset=0 (local.get $p)) (i32.const 4))))
            (f64.store (local.get $j) (f64.add (f64.load (local.get $j)) (local.get $g)))
            (f64.store offset=8 (local.get $j) (f64.add (f64.load offset=8 (local.get $j)) (local.get $h)))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (br_if $tail (i32.lt_u (local.get $p) (local.get $pEnd)))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br_if $rows (i32.lt_u (local.get $k) (local.get $kEnd))))))

  ;; buildHistG3: hist = [g, h, count] sums over rows idx[start..end).
  (func (export "hist3")
    (param $hist i32) (param $histBytes i32) (param $gbin i32) (param $F i32)
    (param $idx i32) (param $start i32) (param $end i32) (param $gh i32)
    (local $k i32) (local $kEnd i32) (local $r i32) (local $g f64) (local $h f64)
    (local $p i32) (local $p4 i32) (local $pEnd i32) (local $j i32)
    (memory.fill (local.get $hist) (i32.const 0) (local.get $histBytes))
    (local.set $k (i32.add (local.get $idx) (i32.shl (local.get $start) (i32.const 2))))
    (local.set $kEnd (i32.add (local.get $idx) (i32.shl (local.get $end) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $k) (local.get $kEnd)))
      (loop $rows
        (local.set $r (i32.load (local.get $k)))
        (local.set $p (i32.add (local.get $gh) (i32.shl (local.get $r) (i32.const 4))))
        (local.set $g (f64.load (local.get $p)))
        (local.set $h (f64.load offset=8 (local.get $p)))
        (local.set $p (i32.add (local.get $gbin) (i32.shl (i32.mul (local.get $r) (local.get $F)) (i32.const 1))))
        (local.set $p4 (i32.add (local.get $p) (i32.shl (i32.and (local.get $F) (i32.const -4)) (i32.const 1))))
        (local.set $pEnd (i32.add (local.get $p) (i32.shl (local.get $F) (i32.const 1))))
        (block $quadsDone
          (br_if $quadsDone (i32.ge_u (local.get $p) (local.get $p4)))
          (loop $quads
            (local.set $j (i32.add (local.get $hist) (i32.mul (i32.load16_u offset=0 (local.get $p)) (i32.const 24))))
            (f64.store (local.get $j) (f64.add (f64.load (local.get $j)) (local.get $g)))
            (f64.store offset=8 (local.get $j) (f64.add (f64.load offset=8 (local.get $j)) (local.get $h)))
            (f64.store offset=16 (local.get $j) (f64.add (f64.load offset=16 (local.get $j)) (f64.const 1)))
            (local.set $j (i32.add (local.get $hist) (i32.mul (i32.load16_u offset=2 (local.get $p)) (i32.const 24))))
            (f64.store (local.get $j) (f64.add (f64.load (local.get $j)) (local.get $g)))
            (f64.store offset=8 (local.get $j) (f64.add (f64.load offset=8 (local.get $j)) (local.get $h)))
            (f64.store offset=16 (local.get $j) (f64.add (f64.load offset=16 (local.get $j)) (f64.const 1)))
            (local.set $j (i32.add (local.get $hist) (i32.mul (i32.load16_u offset=4 (local.get $p)) (i32.const 24))))
            (f64.store (local.get $j) (f64.add (f64.load (local.get $j)) (local.get $g)))
            (f64.store offset=8 (local.get $j) (f64.add (f64.load offset=8 (local.get $j)) (local.get $h)))
            (f64.store offset=16 (local.get $j) (f64.add (f64.load offset=16 (local.get $j)) (f64.const 1)))
            (local.set $j (i32.add (local.get $hist) (i32.mul (i32.load16_u offset=6 (local.get $p)) (i32.const 24))))
            (f64.store (local.get $j) (f64.add (f64.load (local.get $j)) (local.get $g)))
            (f64.store offset=8 (local.get $j) (f64.add (f64.load offset=8 (local.get $j)) (local.get $h)))
            (f64.store offset=16 (local.get $j) (f64.add (f64.load offset=16 (local.get $j)) (f64.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br_if $quads (i32.lt_u (local.get $p) (local.get $p4)))))
        (block $tailDone
          (br_if $tailDone (i32.ge_u (local.get $p) (local.get $pEnd)))
          (loop $tail
            (local.set $j (i32.add (local.get $hist) (i32.mul (i32.load16_u offset=0 (local.get $p)) (i32.const 24))))
            (f64.store (local.get $j) (f64.add (f64.load (local.get $j)) (local.get $g)))
            (f64.store offset=8 (local.get $j) (f64.add (f64.load offset=8 (local.get $j)) (local.get $h)))
            (f64.store offset=16 (local.get $j) (f64.add (f64.load offset=16 (local.get $j)) (f64.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (br_if $tail (i32.lt_u (local.get $p) (local.get $pEnd)))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br_if $rows (i32.lt_u (local.get $k) (local.get $kEnd))))))

  ;; subtractInto: a[i] -= b[i] for n f64 values.
  (func (export "subtract") (param $a i32) (param $b i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (loop $l
        (f64.store (local.get $a) (f64.sub (f64.load (local.get $a)) (f64.load (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (local.set $b (i32.add (local.get $b) (i32.const 8)))
        (br_if $l (i32.lt_u (local.get $a) (local.get $end))))))

  ;; partition: stable in-place partition of idx[start..end) by goLeft[col[row]] (u8 0/1); left rows
  ;; stay in idx, right rows go through scratch. Returns the first right position.
  (func (export "partition")
    (param $idx i32) (param $scratch i32) (param $start i32) (param $end i32) (param $col i32)
    (param $goLeft i32) (result i32)
    (local $k i32) (local $kEnd i32) (local $l i32) (local $r i32) (local $row i32) (local $gl i32)
    (local.set $k (i32.add (local.get $idx) (i32.shl (local.get $start) (i32.const 2))))
    (local.set $kEnd (i32.add (local.get $idx) (i32.shl (local.get $end) (i32.const 2))))
    (local.set $l (local.get $k))
    (local.set $r (local.get $scratch))
    (block $done
      (br_if $done (i32.ge_u (local.get $k) (local.get $kEnd)))
      (loop $rows
        (local.set $row (i32.load (local.get $k)))
        (local.set $gl
          (i32.load8_u (i32.add (local.get $goLeft) (i32.load8_u (i32.add (local.get $col) (local.get $row))))))
        (i32.store (local.get $l) (local.get $row))
        (i32.store (local.get $r) (local.get $row))
        (local.set $l (i32.add (local.get $l) (i32.shl (local.get $gl) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.shl (i32.sub (i32.const 1) (local.get $gl)) (i32.const 2))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br_if $rows (i32.lt_u (local.get $k) (local.get $kEnd)))))
    (memory.copy (local.get $l) (local.get $scratch) (i32.sub (local.get $r) (local.get $scratch)))
    (i32.shr_u (i32.sub (local.get $l) (local.get $idx)) (i32.const 2)))

  ;; addValue: out[row] += v for the rows idx[start..end) (a leaf's rows get its value).
  (func (export "addValue")
    (param $out i32) (param $idx i32) (param $start i32) (param $end i32) (param $v f64)
    (local $k i32) (local $kEnd i32) (local $p i32)
    (local.set $k (i32.add (local.get $idx) (i32.shl (local.get $start) (i32.const 2))))
    (local.set $kEnd (i32.add (local.get $idx) (i32.shl (local.get $end) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $k) (local.get $kEnd)))
      (loop $rows
        (local.set $p (i32.add (local.get $out) (i32.shl (i32.load (local.get $k)) (i32.const 3))))
        (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (local.get $v)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br_if $rows (i32.lt_u (local.get $k) (local.get $kEnd))))))

  ;; addSplitValues: a split into two leaves without partitioning: out[row] += goLeft[col[row]] = 1 ? vL : vR
  ;; for the rows idx[start..end).
  (func (export "addSplitValues")
    (param $out i32) (param $idx i32) (param $start i32) (param $end i32) (param $col i32)
    (param $goLeft i32) (param $vL f64) (param $vR f64)
    (local $k i32) (local $kEnd i32) (local $row i32) (local $p i32)
    (local.set $k (i32.add (local.get $idx) (i32.shl (local.get $start) (i32.const 2))))
    (local.set $kEnd (i32.add (local.get $idx) (i32.shl (local.get $end) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $k) (local.get $kEnd)))
      (loop $rows
        (local.set $row (i32.load (local.get $k)))
        (local.set $p (i32.add (local.get $out) (i32.shl (local.get $row) (i32.const 3))))
        (f64.store (local.get $p)
          (f64.add (f64.load (local.get $p))
            (select (local.get $vL) (local.get $vR)
              (i32.eq
                (i32.load8_u (i32.add (local.get $goLeft) (i32.load8_u (i32.add (local.get $col) (local.get $row)))))
                (i32.const 1)))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br_if $rows (i32.lt_u (local.get $k) (local.get $kEnd))))))

  ;; binning.ts lowerBound: first index in [lo, hi) whose cut (f64 at cuts) is >= x.
  (func $lowerBound (param $cuts i32) (param $lo i32) (param $hi i32) (param $x f64) (result i32)
    (local $mid i32)
    (block $done
      (loop $search
        (br_if $done (i32.ge_s (local.get $lo) (local.get $hi)))
        (local.set $mid (i32.shr_u (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)))
        (if (f64.lt (f64.load (i32.add (local.get $cuts) (i32.shl (local.get $mid) (i32.const 3)))) (local.get $x))
          (then (local.set $lo (i32.add (local.get $mid) (i32.const 1))))
          (else (local.set $hi (local.get $mid))))
        (br $search)))
    (local.get $lo))

  ;; binning.ts bucketOf: floor((v - lo0) * scale) clamped to [0, B].
  (func $bucketOf (param $v f64) (param $lo0 f64) (param $scale f64) (param $B i32) (result i32)
    (local $t f64)
    (local.set $t (f64.floor (f64.mul (f64.sub (local.get $v) (local.get $lo0)) (local.get $scale))))
    (if (result i32) (f64.lt (local.get $t) (f64.const 0))
      (then (i32.const 0))
      (else
        (if (result i32) (f64.gt (local.get $t) (f64.convert_i32_s (local.get $B)))
          (then (local.get $B))
          (else (i32.trunc_f64_s (local.get $t)))))))

  ;; binning.ts binNumeric (column-major): out[i] = bin of the f64 data[i] for n values, cuts = nc
  ;; ascending f64; starts = scratch for the bucket table (i32[4 nc + 2]). NaN -> bin 0.
  (func (export "binNumeric")
    (param $data i32) (param $n i32) (param $cuts i32) (param $nc i32) (param $out i32) (param $starts i32)
    (local $lo0 f64) (local $scale f64) (local $B i32) (local $b i32) (local $k i32) (local $e i32)
    (local $p i32) (local $pEnd i32) (local $v f64)
    (if (i32.gt_s (local.get $nc) (i32.const 0)) (then (local.set $lo0 (f64.load (local.get $cuts)))))
    (if (i32.ge_s (local.get $nc) (i32.const 16))
      (then
        (local.set $scale
          (f64.div (f64.convert_i32_s (i32.shl (local.get $nc) (i32.const 2)))
            (f64.sub
              (f64.load (i32.add (local.get $cuts) (i32.shl (i32.sub (local.get $nc) (i32.const 1)) (i32.const 3))))
              (local.get $lo0))))))
    (local.set $p (local.get $data))
    (local.set $pEnd (i32.add (local.get $data) (i32.shl (local.get $n) (i32.const 3))))
    (if (i32.eqz (i32.and (f64.gt (local.get $scale) (f64.const 0)) (f64.lt (local.get $scale) (f64.const inf))))
      (then
        ;; binNumericSearch
        (block $done
          (br_if $done (i32.ge_u (local.get $p) (local.get $pEnd)))
          (loop $values
            (local.set $v (f64.load (local.get $p)))
            (i32.store8 (local.get $out)
              (if (result i32) (f64.eq (local.get $v) (local.get $v))
                (then (i32.add (call $lowerBound (local.get $cuts) (i32.const 0) (local.get $nc) (local.get $v)) (i32.const 1)))
                (else (i32.const 0))))
            (local.set $out (i32.add (local.get $out) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br_if $values (i32.lt_u (local.get $p) (local.get $pEnd)))))
        (return)))
    ;; bucketStarts
    (local.set $B (i32.shl (local.get $nc) (i32.const 2)))
    (block $startsDone
      (loop $buckets
        (block $kDone
          (loop $advance
            (br_if $kDone (i32.ge_s (local.get $k) (local.get $nc)))
            (br_if $kDone
              (i32.ge_s
                (call $bucketOf
                  (f64.load (i32.add (local.get $cuts) (i32.shl (local.get $k) (i32.const 3))))
                  (local.get $lo0) (local.get $scale) (local.get $B))
                (local.get $b)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $advance)))
        (i32.store (i32.add (local.get $starts) (i32.shl (local.get $b) (i32.const 2))) (local.get $k))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br_if $buckets (i32.le_s (local.get $b) (i32.add (local.get $B) (i32.const 1))))))
    ;; binNumericBuckets
    (block $done
      (br_if $done (i32.ge_u (local.get $p) (local.get $pEnd)))
      (loop $values
        (local.set $v (f64.load (local.get $p)))
        (if (f64.eq (local.get $v) (local.get $v))
          (then
            (local.set $b (call $bucketOf (local.get $v) (local.get $lo0) (local.get $scale) (local.get $B)))
            (local.set $k (i32.load (i32.add (local.get $starts) (i32.shl (local.get $b) (i32.const 2)))))
            (local.set $e (i32.load offset=4 (i32.add (local.get $starts) (i32.shl (local.get $b) (i32.const 2)))))
            (if (i32.gt_s (i32.sub (local.get $e) (local.get $k)) (i32.const 8))
              (then (local.set $k (call $lowerBound (local.get $cuts) (local.get $k) (local.get $e) (local.get $v))))
              (else
                (block $linDone
                  (loop $lin
                    (br_if $linDone (i32.ge_s (local.get $k) (local.get $e)))
                    (br_if $linDone
                      (i32.eqz
                        (f64.lt (f64.load (i32.add (local.get $cuts) (i32.shl (local.get $k) (i32.const 3)))) (local.get $v))))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $lin)))))
            (i32.store8 (local.get $out) (i32.add (local.get $k) (i32.const 1))))
          (else (i32.store8 (local.get $out) (i32.const 0))))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br_if $values (i32.lt_u (local.get $p) (local.get $pEnd))))))

  ;; binning.ts binCategorical (column-major): out[i] = v >= 0 && floor(v) < mapLen ? map[floor(v)] : 0
  ;; for the f64 data[i] (map = i32 category code -> bin).
  (func (export "binCategorical")
    (param $data i32) (param $n i32) (param $map i32) (param $mapLen i32) (param $out i32)
    (local $p i32) (local $pEnd i32) (local $v f64) (local $c f64)
    (local.set $p (local.get $data))
    (local.set $pEnd (i32.add (local.get $data) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $p) (local.get $pEnd)))
      (loop $values
        (local.set $v (f64.load (local.get $p)))
        (local.set $c (f64.floor (local.get $v)))
        (i32.store8 (local.get $out)
          (if (result i32)
            (i32.and (f64.ge (local.get $v) (f64.const 0))
              (f64.lt (local.get $c) (f64.convert_i32_s (local.get $mapLen))))
            (then (i32.load (i32.add (local.get $map) (i32.shl (i32.trunc_f64_s (local.get $c)) (i32.const 2)))))
            (else (i32.const 0))))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br_if $values (i32.lt_u (local.get $p) (local.get $pEnd))))))

  ;; objective.ts fastExp, constants from the table at tab (f64): [0] 32 log2(e), [1] ln2 hi / 32,
  ;; [2] ln2 lo / 32, [3] 1.5 * 2^52, [4..7] 1/6, 1/24, 1/120, 1/720; 2^(j/32) at tab + 128 (32 values),
  ;; 2^e at tab + 384 + 8 (e + 1074).
  (func $fastExp (param $x f64) (param $tab i32) (result f64)
    (local $kf f64) (local $k i32) (local $r f64) (local $r2 f64) (local $p f64)
    (if (i32.eqz (f64.gt (local.get $x) (f64.const -745)))
      (then
        (return
          (if (result f64) (f64.eq (local.get $x) (local.get $x))
            (then (f64.const 0))
            (else (local.get $x))))))
    (if (i32.or (f64.gt (local.get $x) (f64.const 709)) (f64.lt (local.get $x) (f64.const -744)))
      (then (return (call $exp (local.get $x)))))
    (local.set $kf
      (f64.sub
        (f64.add (f64.mul (local.get $x) (f64.load (local.get $tab))) (f64.load offset=24 (local.get $tab)))
        (f64.load offset=24 (local.get $tab))))
    (local.set $k (i32.trunc_f64_s (local.get $kf)))
    (local.set $r
      (f64.sub
        (f64.sub (local.get $x) (f64.mul (local.get $kf) (f64.load offset=8 (local.get $tab))))
        (f64.mul (local.get $kf) (f64.load offset=16 (local.get $tab)))))
    (local.set $r2 (f64.mul (local.get $r) (local.get $r)))
    (local.set $p
      (f64.add
        (f64.add
          (f64.add (f64.const 1) (local.get $r))
          (f64.mul (local.get $r2)
            (f64.add (f64.const 0.5) (f64.mul (local.get $r) (f64.load offset=32 (local.get $tab))))))
        (f64.mul (f64.mul (local.get $r2) (local.get $r2))
          (f64.add
            (f64.add (f64.load offset=40 (local.get $tab)) (f64.mul (local.get $r) (f64.load offset=48 (local.get $tab))))
            (f64.mul (local.get $r2) (f64.load offset=56 (local.get $tab)))))))
    (f64.mul
      (f64.mul (local.get $p)
        (f64.load offset=128
          (i32.add (local.get $tab) (i32.shl (i32.and (local.get $k) (i32.const 31)) (i32.const 3)))))
      (f64.load offset=384
        (i32.add (local.get $tab)
          (i32.shl (i32.add (i32.shr_s (local.get $k) (i32.const 5)) (i32.const 1074)) (i32.const 3))))))

  ;; objective.ts loglossGradientsUnweighted: g = (p - y, max(p (1 - p), H_MIN)) per row with
  ;; p = 1 / (1 + fastExp(-raw)), and the rescaled likelihood product; tab as for $fastExp plus [8] EPS,
  ;; [9] H_MIN, [10] PROD_MIN, [11] PROD_RESCALE, [12] 1 - EPS; the product and the rescale count go to
  ;; tab[13], tab[14].
  (func (export "loglossGrad") (param $raw i32) (param $y i32) (param $n i32) (param $g i32) (param $tab i32)
    (local $end i32) (local $p f64) (local $yi f64) (local $q f64) (local $prod f64) (local $k i32)
    (local $eps f64) (local $hMin f64) (local $prodMin f64) (local $rescale f64) (local $oneMinusEps f64)
    (local $small i32)
    (local.set $eps (f64.load offset=64 (local.get $tab)))
    (local.set $hMin (f64.load offset=72 (local.get $tab)))
    (local.set $prodMin (f64.load offset=80 (local.get $tab)))
    (local.set $rescale (f64.load offset=88 (local.get $tab)))
    (local.set $oneMinusEps (f64.load offset=96 (local.get $tab)))
    (local.set $prod (f64.const 1))
    (local.set $end (i32.add (local.get $raw) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $raw) (local.get $end)))
      (loop $rows
        (local.set $p
          (f64.div (f64.const 1)
            (f64.add (f64.const 1) (call $fastExp (f64.neg (f64.load (local.get $raw))) (local.get $tab)))))
        (local.set $yi (f64.load (local.get $y)))
        (f64.store (local.get $g) (f64.sub (local.get $p) (local.get $yi)))
        (f64.store offset=8 (local.get $g)
          (f64.max (f64.mul (local.get $p) (f64.sub (f64.const 1) (local.get $p))) (local.get $hMin)))
        (local.set $q (f64.min (local.get $oneMinusEps) (f64.max (local.get $eps) (local.get $p))))
        (local.set $prod
          (f64.mul (local.get $prod)
            (f64.add (f64.mul (local.get $yi) (local.get $q))
              (f64.mul (f64.sub (f64.const 1) (local.get $yi)) (f64.sub (f64.const 1) (local.get $q))))))
        (local.set $small (f64.lt (local.get $prod) (local.get $prodMin)))
        (local.set $prod
          (f64.mul (local.get $prod) (select (local.get $rescale) (f64.const 1) (local.get $small))))
        (local.set $k (i32.add (local.get $k) (local.get $small)))
        (local.set $raw (i32.add (local.get $raw) (i32.const 8)))
        (local.set $y (i32.add (local.get $y) (i32.const 8)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (br_if $rows (i32.lt_u (local.get $raw) (local.get $end)))))
    (f64.store offset=104 (local.get $tab) (local.get $prod))
    (f64.store offset=112 (local.get $tab) (f64.convert_i32_s (local.get $k))))

  ;; binning.ts gatherCodes + maxOf: the largest floor(v) over the non-missing (v >= 0) f64 data[0..n),
  ;; or -1 when there are none.
  (func (export "catMax") (param $data i32) (param $n i32) (result f64)
    (local $end i32) (local $v f64) (local $m f64)
    (local.set $m (f64.const -1))
    (local.set $end (i32.add (local.get $data) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $data) (local.get $end)))
      (loop $values
        (local.set $v (f64.load (local.get $data)))
        (if (f64.ge (local.get $v) (f64.const 0))
          (then
            (if (f64.gt (f64.floor (local.get $v)) (local.get $m))
              (then (local.set $m (f64.floor (local.get $v)))))))
        (local.set $data (i32.add (local.get $data) (i32.const 8)))
        (br_if $values (i32.lt_u (local.get $data) (local.get $end)))))
    (local.get $m))

  ;; binning.ts gatherCodes + countCodes: counts[floor(v)] += 1 (f64) for the non-missing (v >= 0) f64
  ;; data[0..n); every floor(v) must be a valid index (at most catMax). Returns how many were counted.
  (func (export "catCount") (param $data i32) (param $n i32) (param $counts i32) (result i32)
    (local $end i32) (local $v f64) (local $p i32) (local $k i32)
    (local.set $end (i32.add (local.get $data) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $data) (local.get $end)))
      (loop $values
        (local.set $v (f64.load (local.get $data)))
        (if (f64.ge (local.get $v) (f64.const 0))
          (then
            (local.set $p
              (i32.add (local.get $counts) (i32.shl (i32.trunc_f64_u (f64.floor (local.get $v))) (i32.const 3))))
            (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.const 1)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))))
        (local.set $data (i32.add (local.get $data) (i32.const 8)))
        (br_if $values (i32.lt_u (local.get $data) (local.get $end)))))
    (local.get $k))

  ;; binning.ts gatherNumbers (all rows): the non-NaN of the f64 data[0..n) to out; returns how many.
  (func (export "gatherNumbers") (param $data i32) (param $n i32) (param $out i32) (result i32)
    (local $end i32) (local $v f64) (local $k i32)
    (local.set $end (i32.add (local.get $data) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $data) (local.get $end)))
      (loop $values
        (local.set $v (f64.load (local.get $data)))
        (if (f64.eq (local.get $v) (local.get $v))
          (then
            (f64.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 3))) (local.get $v))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))))
        (local.set $data (i32.add (local.get $data) (i32.const 8)))
        (br_if $values (i32.lt_u (local.get $data) (local.get $end)))))
    (local.get $k))

  ;; binning.ts distinctSorted: distinct values of the sorted f64 values[0..n) to uniq, their counts
  ;; (f64) to counts; returns how many.
  (func (export "distinctSorted") (param $values i32) (param $n i32) (param $uniq i32) (param $counts i32) (result i32)
    (local $end i32) (local $v f64) (local $u i32) (local $p i32)
    (local.set $end (i32.add (local.get $values) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $values) (local.get $end)))
      (loop $vals
        (local.set $v (f64.load (local.get $values)))
        (local.set $p (i32.shl (local.get $u) (i32.const 3)))
        (if (i32.and (i32.gt_s (local.get $u) (i32.const 0))
              (f64.eq (f64.load offset=0 (i32.sub (i32.add (local.get $uniq) (local.get $p)) (i32.const 8))) (local.get $v)))
          (then
            (local.set $p (i32.sub (i32.add (local.get $counts) (local.get $p)) (i32.const 8)))
            (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.const 1))))
          (else
            (f64.store (i32.add (local.get $uniq) (local.get $p)) (local.get $v))
            (f64.store (i32.add (local.get $counts) (local.get $p)) (f64.const 1))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))))
        (local.set $values (i32.add (local.get $values) (i32.const 8)))
        (br_if $vals (i32.lt_u (local.get $values) (local.get $end)))))
    (local.get $u))

  ;; binning.ts midpoint: a + (b - a) / 2, or a when that is >= b or not finite.
  (func $midpoint (param $a f64) (param $b f64) (result f64)
    (local $m f64)
    (local.set $m (f64.add (local.get $a) (f64.div (f64.sub (local.get $b) (local.get $a)) (f64.const 2))))
    (if (result f64)
      (i32.or (f64.ge (local.get $m) (local.get $b))
        (i32.eqz (f64.lt (f64.abs (local.get $m)) (f64.const inf))))
      (then (local.get $a))
      (else (local.get $m))))

  ;; binning.ts numericBins' cuts from nu distinct values (uniq, counts: f64) of n values: midpoints of
  ;; neighbours when nu <= maxBins, else equalFrequencyCuts. Writes them to cuts; returns how many.
  (func (export "numericCuts")
    (param $uniq i32) (param $counts i32) (param $nu i32) (param $n f64) (param $maxBins i32) (param $cuts i32)
    (result i32)
    (local $i i32) (local $nc i32) (local $remaining f64) (local $binsLeft i32) (local $acc f64)
    (local $target f64) (local $next f64)
    (if (i32.le_s (local.get $nu) (local.get $maxBins))
      (then
        (block $done
          (loop $pairs
            (br_if $done (i32.ge_s (i32.add (local.get $i) (i32.const 1)) (local.get $nu)))
            (f64.store (i32.add (local.get $cuts) (i32.shl (local.get $nc) (i32.const 3)))
              (call $midpoint
                (f64.load (i32.add (local.get $uniq) (i32.shl (local.get $i) (i32.const 3))))
                (f64.load offset=8 (i32.add (local.get $uniq) (i32.shl (local.get $i) (i32.const 3))))))
            (local.set $nc (i32.add (local.get $nc) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $pairs)))
        (return (local.get $nc))))
    (local.set $remaining (local.get $n))
    (local.set $binsLeft (local.get $maxBins))
    (block $done
      (loop $values
        (br_if $done (i32.ge_s (i32.add (local.get $i) (i32.const 1)) (local.get $nu)))
        (br_if $done (i32.le_s (local.get $binsLeft) (i32.const 1)))
        (local.set $acc
          (f64.add (local.get $acc) (f64.load (i32.add (local.get $counts) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $target (f64.div (local.get $remaining) (f64.convert_i32_s (local.get $binsLeft))))
        (local.set $next (f64.load offset=8 (i32.add (local.get $counts) (i32.shl (local.get $i) (i32.const 3)))))
        (if (i32.or (f64.ge (local.get $acc) (local.get $target))
              (i32.and
                (i32.and (f64.gt (local.get $acc) (f64.const 0))
                  (f64.gt (f64.add (local.get $acc) (local.get $next)) (f64.mul (f64.const 1.5) (local.get $target))))
                (f64.ge (local.get $acc) (f64.mul (f64.const 0.5) (local.get $target)))))
          (then
            (f64.store (i32.add (local.get $cuts) (i32.shl (local.get $nc) (i32.const 3)))
              (call $midpoint
                (f64.load (i32.add (local.get $uniq) (i32.shl (local.get $i) (i32.const 3))))
                (f64.load offset=8 (i32.add (local.get $uniq) (i32.shl (local.get $i) (i32.const 3))))))
            (local.set $nc (i32.add (local.get $nc) (i32.const 1)))
            (local.set $remaining (f64.sub (local.get $remaining) (local.get $acc)))
            (local.set $binsLeft (i32.sub (local.get $binsLeft) (i32.const 1)))
            (local.set $acc (f64.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $values)))
    (local.get $nc))

  ;; globalBins: gbin[r * F + f] = col[f * n + r] + offsets[f] (offs = i32 offsets).
  (func (export "globalBins")
    (param $col i32) (param $n i32) (param $F i32) (param $offs i32) (param $gbin i32)
    (local $f i32) (local $add i32) (local $src i32) (local $srcEnd i32) (local $dst i32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $F) (i32.const 1)))
    (block $fdone
      (br_if $fdone (i32.ge_s (local.get $f) (local.get $F)))
      (loop $feats
        (local.set $add (i32.load (i32.add (local.get $offs) (i32.shl (local.get $f) (i32.const 2)))))
        (local.set $src (i32.add (local.get $col) (i32.mul (local.get $f) (local.get $n))))
        (local.set $srcEnd (i32.add (local.get $src) (local.get $n)))
        (local.set $dst (i32.add (local.get $gbin) (i32.shl (local.get $f) (i32.const 1))))
        (block $rdone
          (br_if $rdone (i32.ge_u (local.get $src) (local.get $srcEnd)))
          (loop $rows
            (i32.store16 (local.get $dst) (i32.add (i32.load8_u (local.get $src)) (local.get $add)))
            (local.set $src (i32.add (local.get $src) (i32.const 1)))
            (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
            (br_if $rows (i32.lt_u (local.get $src) (local.get $srcEnd)))))
        (local.set $f (i32.add (local.get $f) (i32.const 1)))
        (br_if $feats (i32.lt_s (local.get $f) (local.get $F))))))
)
