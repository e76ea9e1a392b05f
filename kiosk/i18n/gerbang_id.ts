<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="id_ID">
<context>
    <name>CameraView</name>
    <message>
        <source>Camera calibration</source>
        <translation>Kalibrasi kamera</translation>
    </message>
    <message>
        <source>Measure</source>
        <translation>Ukur</translation>
    </message>
    <message>
        <source>Save recommended settings</source>
        <translation>Simpan pengaturan yang disarankan</translation>
    </message>
    <message>
        <source>Too dark: increase the exposure or the light.</source>
        <translation>Terlalu gelap: naikkan eksposur atau tambah cahaya.</translation>
    </message>
    <message>
        <source>Too bright: decrease the exposure.</source>
        <translation>Terlalu terang: turunkan eksposur.</translation>
    </message>
    <message>
        <source>Highlights are clipped.</source>
        <translation>Bagian terang terpotong.</translation>
    </message>
    <message>
        <source>Shadows are clipped.</source>
        <translation>Bagian gelap terpotong.</translation>
    </message>
    <message>
        <source>The picture is blurred: adjust the focus.</source>
        <translation>Gambar buram: atur fokus.</translation>
    </message>
    <message>
        <source>Colour cast: adjust the white balance.</source>
        <translation>Warna bergeser: atur white balance.</translation>
    </message>
    <message>
        <source>The face is too small: move the camera closer or zoom in.</source>
        <translation>Wajah terlalu kecil: dekatkan kamera atau perbesar zoom.</translation>
    </message>
    <message>
        <source>The face is too large: move the camera back.</source>
        <translation>Wajah terlalu besar: jauhkan kamera.</translation>
    </message>
    <message>
        <source>Measuring… keep the test chart in front of the camera.</source>
        <translation>Mengukur… tahan kartu uji di depan kamera.</translation>
    </message>
    <message>
        <source>Sharpness: %1</source>
        <translation>Ketajaman: %1</translation>
    </message>
    <message>
        <source>Best focus: %1</source>
        <translation>Fokus terbaik: %1</translation>
    </message>
    <message>
        <source>Brightness: %1 (clipped %2%)</source>
        <translation>Kecerahan: %1 (terpotong %2%)</translation>
    </message>
    <message>
        <source>White balance gains B/G/R: %1</source>
        <translation>Penguatan white balance B/G/R: %1</translation>
    </message>
    <message>
        <source>Inter-eye distance: %1 px</source>
        <translation>Jarak antarmata: %1 px</translation>
    </message>
    <message>
        <source>The camera is well set up.</source>
        <translation>Kamera sudah diatur dengan baik.</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>Gagal: %1</translation>
    </message>
    <message>
        <source>Saved and recorded in the audit log.</source>
        <translation>Disimpan dan dicatat di log audit.</translation>
    </message>
</context>
<context>
    <name>DecisionView</name>
    <message>
        <source>Welcome</source>
        <translation>Selamat datang</translation>
    </message>
    <message>
        <source>Thank you. The gate is open: please walk through.</source>
        <translation>Terima kasih. Gerbang sudah terbuka: silakan lewat.</translation>
    </message>
    <message>
        <source>Please see an officer</source>
        <translation>Silakan menemui petugas</translation>
    </message>
    <message>
        <source>An officer will help you now. Please take your passport and wait here.</source>
        <translation>Petugas akan segera membantu Anda. Silakan ambil paspor Anda dan tunggu di sini.</translation>
    </message>
</context>
<context>
    <name>DevicesView</name>
    <message>
        <source>Devices</source>
        <translation>Perangkat</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Perangkat</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Jenis</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>Backend</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>Rincian</translation>
    </message>
    <message>
        <source>Driver</source>
        <translation>Driver</translation>
    </message>
    <message>
        <source>Check again</source>
        <translation>Periksa lagi</translation>
    </message>
    <message>
        <source>Ready: %1 of %2</source>
        <translation>Siap: %1 dari %2</translation>
    </message>
</context>
<context>
    <name>DocumentView</name>
    <message>
        <source>Your passport</source>
        <translation>Paspor Anda</translation>
    </message>
    <message>
        <source>Open your passport at the photo page and place it face down on the reader.</source>
        <translation>Buka paspor Anda pada halaman foto dan letakkan menghadap ke bawah di atas pembaca.</translation>
    </message>
    <message>
        <source>Waiting for your passport…</source>
        <translation>Menunggu paspor Anda…</translation>
    </message>
    <message>
        <source>Passport page read</source>
        <translation>Halaman paspor terbaca</translation>
    </message>
    <message>
        <source>Chip read</source>
        <translation>Cip terbaca</translation>
    </message>
    <message>
        <source>Chip data signed by the issuing country</source>
        <translation>Data cip ditandatangani oleh negara penerbit</translation>
    </message>
    <message>
        <source>Chip is genuine, not a copy</source>
        <translation>Cip asli, bukan salinan</translation>
    </message>
    <message>
        <source>Chip data matches the passport page</source>
        <translation>Data cip sesuai dengan halaman paspor</translation>
    </message>
    <message>
        <source>Reading the chip. Please do not move your passport.</source>
        <translation>Membaca cip. Mohon jangan menggeser paspor Anda.</translation>
    </message>
</context>
<context>
    <name>DuplicatesController</name>
    <message>
        <source>No enrollment is waiting.</source>
        <translation>Tidak ada pendaftaran yang menunggu.</translation>
    </message>
</context>
<context>
    <name>DuplicatesView</name>
    <message>
        <source>Possible duplicates</source>
        <translation>Kemungkinan duplikat</translation>
    </message>
    <message>
        <source>Your note (required)</source>
        <translation>Catatan Anda (wajib)</translation>
    </message>
    <message>
        <source>Same person: revoke</source>
        <translation>Orang yang sama: batalkan</translation>
    </message>
    <message>
        <source>Different people: activate</source>
        <translation>Orang berbeda: aktifkan</translation>
    </message>
</context>
<context>
    <name>EnrollmentController</name>
    <message>
        <source>Unexpected error.</source>
        <translation>Kesalahan tak terduga.</translation>
    </message>
    <message>
        <source>Enter the document first.</source>
        <translation>Masukkan dokumen terlebih dahulu.</translation>
    </message>
    <message>
        <source>Face photo</source>
        <translation>Foto wajah</translation>
    </message>
    <message>
        <source>Checking the photo…</source>
        <translation>Memeriksa foto…</translation>
    </message>
    <message>
        <source>Retake or override: %1</source>
        <translation>Ambil ulang atau beri pengecualian: %1</translation>
    </message>
    <message>
        <source>Face accepted.</source>
        <translation>Foto wajah diterima.</translation>
    </message>
    <message>
        <source>A supervisor must approve the override.</source>
        <translation>Pengecualian harus disetujui supervisor.</translation>
    </message>
    <message>
        <source>Override approved.</source>
        <translation>Pengecualian disetujui.</translation>
    </message>
    <message>
        <source>Fingerprint image</source>
        <translation>Gambar sidik jari</translation>
    </message>
    <message>
        <source>The fingers touch: spread them and scan the slap again.</source>
        <translation>Jari-jari saling menempel: renggangkan lalu pindai empat jari sekali lagi.</translation>
    </message>
    <message>
        <source>Some fingertips were not found: scan again, or take those fingers singly.</source>
        <translation>Sebagian ujung jari tidak ditemukan: pindai lagi, atau ambil jari-jari itu satu per satu.</translation>
    </message>
    <message>
        <source>No fingers on the slap: place the hand flat and scan again.</source>
        <translation>Tidak ada jari pada pindaian: letakkan tangan rata lalu pindai lagi.</translation>
    </message>
    <message>
        <source>The slap image cannot be used.</source>
        <translation>Gambar pindaian jari tidak dapat digunakan.</translation>
    </message>
    <message>
        <source>Record a missing finger at its own position, not a slap.</source>
        <translation>Catat jari yang tidak ada pada posisinya sendiri, bukan pada pindaian beberapa jari.</translation>
    </message>
    <message>
        <source>%1 missing: %2</source>
        <translation>%1 tidak ada: %2</translation>
    </message>
    <message>
        <source>Capture or mark missing: %1</source>
        <translation>Rekam atau tandai tidak ada: %1</translation>
    </message>
    <message>
        <source>Enrolled.</source>
        <translation>Terdaftar.</translation>
    </message>
    <message>
        <source>Possible duplicate: held for a supervisor. Compare the faces side by side.</source>
        <translation>Kemungkinan duplikat: ditahan untuk supervisor. Bandingkan kedua wajah berdampingan.</translation>
    </message>
    <message>
        <source>Not stored: %1</source>
        <translation>Tidak disimpan: %1</translation>
    </message>
    <message>
        <source>Save the receipt</source>
        <translation>Simpan tanda terima</translation>
    </message>
    <message>
        <source>Receipt saved.</source>
        <translation>Tanda terima disimpan.</translation>
    </message>
    <message>
        <source>Place the passport&apos;s data page on the document scanner…</source>
        <translation>Letakkan halaman data paspor pada pemindai dokumen…</translation>
    </message>
    <message>
        <source>Place the passport on the card reader…</source>
        <translation>Letakkan paspor pada pembaca kartu…</translation>
    </message>
    <message>
        <source>Reading the chip…</source>
        <translation>Membaca cip…</translation>
    </message>
    <message>
        <source>Checking the chip…</source>
        <translation>Memeriksa cip…</translation>
    </message>
    <message>
        <source>Loading the face models…</source>
        <translation>Memuat model wajah…</translation>
    </message>
    <message>
        <source>Place the finger on the scanner…</source>
        <translation>Letakkan jari pada pemindai…</translation>
    </message>
    <message>
        <source>Camera: no face yet.</source>
        <translation>Kamera: belum ada wajah.</translation>
    </message>
    <message>
        <source>Camera: only the traveller in the picture.</source>
        <translation>Kamera: hanya pelaku perjalanan di dalam gambar.</translation>
    </message>
    <message>
        <source>Camera: the traveller should come closer.</source>
        <translation>Kamera: pelaku perjalanan perlu mendekat.</translation>
    </message>
    <message>
        <source>Camera: the traveller should step back.</source>
        <translation>Kamera: pelaku perjalanan perlu mundur.</translation>
    </message>
    <message>
        <source>Camera: centre the face.</source>
        <translation>Kamera: posisikan wajah di tengah.</translation>
    </message>
    <message>
        <source>Camera: look straight at the camera.</source>
        <translation>Kamera: lihat lurus ke kamera.</translation>
    </message>
    <message>
        <source>Camera: hold the head straight.</source>
        <translation>Kamera: tegakkan kepala.</translation>
    </message>
    <message>
        <source>Camera: keep still.</source>
        <translation>Kamera: jangan bergerak.</translation>
    </message>
    <message>
        <source>Camera: more light needed.</source>
        <translation>Kamera: perlu cahaya lebih.</translation>
    </message>
    <message>
        <source>Camera: too much light.</source>
        <translation>Kamera: cahaya terlalu terang.</translation>
    </message>
    <message>
        <source>Camera: light the face evenly.</source>
        <translation>Kamera: terangi wajah secara merata.</translation>
    </message>
    <message>
        <source>Scanner: the finger moved, place it again.</source>
        <translation>Pemindai: jari bergerak, letakkan kembali.</translation>
    </message>
    <message>
        <source>Scanner: the finger is too dry.</source>
        <translation>Pemindai: jari terlalu kering.</translation>
    </message>
    <message>
        <source>Scanner: the finger is too wet.</source>
        <translation>Pemindai: jari terlalu basah.</translation>
    </message>
    <message>
        <source>Scanner: centre the finger.</source>
        <translation>Pemindai: posisikan jari di tengah.</translation>
    </message>
    <message>
        <source>Scanner: lift the finger and place it again.</source>
        <translation>Pemindai: angkat jari lalu letakkan kembali.</translation>
    </message>
    <message>
        <source>Scanner: unusable print, place the finger again.</source>
        <translation>Pemindai: sidik jari tidak dapat digunakan, letakkan jari kembali.</translation>
    </message>
    <message>
        <source>Device: %1</source>
        <translation>Perangkat: %1</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>Dihentikan.</translation>
    </message>
    <message>
        <source>Nothing captured in time: try again.</source>
        <translation>Tidak ada yang terekam tepat waktu: coba lagi.</translation>
    </message>
    <message>
        <source>The MRZ could not be read: place the data page again.</source>
        <translation>MRZ tidak dapat dibaca: letakkan kembali halaman data.</translation>
    </message>
    <message>
        <source>The MRZ check digits do not hold: check the page or type the MRZ.</source>
        <translation>Digit pemeriksa MRZ tidak sesuai: periksa halaman atau ketik MRZ.</translation>
    </message>
    <message>
        <source>No chip on the card reader in time: place the passport again.</source>
        <translation>Tidak ada cip pada pembaca kartu tepat waktu: letakkan kembali paspor.</translation>
    </message>
    <message>
        <source>No usable face in front of the camera: try again.</source>
        <translation>Tidak ada wajah yang dapat digunakan di depan kamera: coba lagi.</translation>
    </message>
    <message>
        <source>Try again: %1</source>
        <translation>Coba lagi: %1</translation>
    </message>
    <message>
        <source>chip</source>
        <translation>cip</translation>
    </message>
    <message>
        <source>Chip read: look at %1</source>
        <translation>Cip terbaca: periksa %1</translation>
    </message>
    <message>
        <source>Chip read and verified.</source>
        <translation>Cip terbaca dan terverifikasi.</translation>
    </message>
    <message>
        <source>Look at the camera…</source>
        <translation>Lihat ke kamera…</translation>
    </message>
</context>
<context>
    <name>EnrollmentView</name>
    <message>
        <source>Enrollment</source>
        <translation>Pendaftaran</translation>
    </message>
    <message>
        <source>Type the MRZ lines (no chip)</source>
        <translation>Ketik baris MRZ (tanpa chip)</translation>
    </message>
    <message>
        <source>Use MRZ</source>
        <translation>Gunakan MRZ</translation>
    </message>
    <message>
        <source>Read passport</source>
        <translation>Baca paspor</translation>
    </message>
    <message>
        <source>Capture face</source>
        <translation>Ambil wajah</translation>
    </message>
    <message>
        <source>Scan finger</source>
        <translation>Pindai jari</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Hentikan</translation>
    </message>
    <message>
        <source>Face photo…</source>
        <translation>Foto wajah…</translation>
    </message>
    <message>
        <source>Override reason (written)</source>
        <translation>Alasan pengecualian (tertulis)</translation>
    </message>
    <message>
        <source>Supervisor id</source>
        <translation>ID supervisor</translation>
    </message>
    <message>
        <source>Supervisor PIN</source>
        <translation>PIN supervisor</translation>
    </message>
    <message>
        <source>Override</source>
        <translation>Beri pengecualian</translation>
    </message>
    <message>
        <source>Fingerprint…</source>
        <translation>Sidik jari…</translation>
    </message>
    <message>
        <source>Why the finger is missing</source>
        <translation>Alasan jari tidak ada</translation>
    </message>
    <message>
        <source>Mark missing</source>
        <translation>Tandai tidak ada</translation>
    </message>
    <message>
        <source>The traveller consents to the enrollment</source>
        <translation>Pelaku perjalanan menyetujui pendaftaran</translation>
    </message>
    <message>
        <source>Check duplicates and save</source>
        <translation>Periksa duplikat dan simpan</translation>
    </message>
    <message>
        <source>Receipt (PDF)…</source>
        <translation>Tanda terima (PDF)…</translation>
    </message>
    <message>
        <source>Next traveller</source>
        <translation>Pelaku perjalanan berikutnya</translation>
    </message>
</context>
<context>
    <name>FaceView</name>
    <message>
        <source>Look at the camera</source>
        <translation>Lihat ke kamera</translation>
    </message>
    <message>
        <source>Keep your face inside the oval.</source>
        <translation>Posisikan wajah Anda di dalam oval.</translation>
    </message>
    <message>
        <source>Please come a little closer.</source>
        <translation>Silakan mendekat sedikit.</translation>
    </message>
    <message>
        <source>Please step back a little.</source>
        <translation>Silakan mundur sedikit.</translation>
    </message>
    <message>
        <source>Please look straight at the screen.</source>
        <translation>Silakan lihat lurus ke layar.</translation>
    </message>
    <message>
        <source>Please face the light.</source>
        <translation>Silakan hadapkan wajah ke arah cahaya.</translation>
    </message>
    <message>
        <source>Too much light: please step out of the bright light.</source>
        <translation>Terlalu terang: silakan menjauh dari cahaya yang menyilaukan.</translation>
    </message>
    <message>
        <source>Please turn so that your whole face is lit evenly.</source>
        <translation>Silakan berputar sedikit agar seluruh wajah Anda terkena cahaya merata.</translation>
    </message>
    <message>
        <source>Please keep your eyes open.</source>
        <translation>Silakan buka mata Anda.</translation>
    </message>
    <message>
        <source>Please close your mouth.</source>
        <translation>Silakan tutup mulut Anda.</translation>
    </message>
    <message>
        <source>Please keep still.</source>
        <translation>Mohon tetap diam.</translation>
    </message>
    <message>
        <source>Please take off your glasses.</source>
        <translation>Silakan lepaskan kacamata Anda.</translation>
    </message>
    <message>
        <source>Please take off your hat.</source>
        <translation>Silakan lepaskan topi Anda.</translation>
    </message>
    <message>
        <source>Please move your face into the oval.</source>
        <translation>Silakan geser wajah Anda ke dalam oval.</translation>
    </message>
    <message>
        <source>Please blink.</source>
        <translation>Silakan berkedip.</translation>
    </message>
    <message>
        <source>Please turn your head slowly to the left.</source>
        <translation>Silakan palingkan kepala Anda perlahan ke kiri.</translation>
    </message>
    <message>
        <source>Please turn your head slowly to the right.</source>
        <translation>Silakan palingkan kepala Anda perlahan ke kanan.</translation>
    </message>
    <message>
        <source>Only one person in front of the camera, please.</source>
        <translation>Mohon hanya satu orang di depan kamera.</translation>
    </message>
</context>
<context>
    <name>FingerprintView</name>
    <message>
        <source>Fingerprints</source>
        <translation>Sidik jari</translation>
    </message>
    <message>
        <source>right index finger</source>
        <translation>jari telunjuk kanan</translation>
    </message>
    <message>
        <source>left index finger</source>
        <translation>jari telunjuk kiri</translation>
    </message>
    <message>
        <source>right thumb</source>
        <translation>ibu jari kanan</translation>
    </message>
    <message>
        <source>left thumb</source>
        <translation>ibu jari kiri</translation>
    </message>
    <message>
        <source> and </source>
        <translation> dan </translation>
    </message>
    <message>
        <source>Place your %1 flat on the glass.</source>
        <translation>Letakkan %1 Anda rata di atas kaca.</translation>
    </message>
    <message>
        <source>Attempt %1 of %2</source>
        <translation>Percobaan %1 dari %2</translation>
    </message>
    <message>
        <source>No finger found. Press your finger flat on the glass.</source>
        <translation>Jari tidak terdeteksi. Tekan jari Anda rata di atas kaca.</translation>
    </message>
    <message>
        <source>Your finger moved. Please hold it still.</source>
        <translation>Jari Anda bergerak. Mohon tahan tetap diam.</translation>
    </message>
    <message>
        <source>Your finger is too dry. Breathe on it and try again.</source>
        <translation>Jari Anda terlalu kering. Hembuskan napas ke jari lalu coba lagi.</translation>
    </message>
    <message>
        <source>Your finger is too wet. Wipe it and try again.</source>
        <translation>Jari Anda terlalu basah. Seka lalu coba lagi.</translation>
    </message>
    <message>
        <source>Please centre your finger on the glass.</source>
        <translation>Silakan letakkan jari Anda di tengah kaca.</translation>
    </message>
    <message>
        <source>The print was not clear. Please press a little harder.</source>
        <translation>Sidik jari kurang jelas. Silakan tekan sedikit lebih kuat.</translation>
    </message>
    <message>
        <source>Please try again.</source>
        <translation>Silakan coba lagi.</translation>
    </message>
</context>
<context>
    <name>KioskWindow</name>
    <message>
        <source>Call an officer</source>
        <translation>Panggil petugas</translation>
    </message>
</context>
<context>
    <name>LoginView</name>
    <message>
        <source>Staff login</source>
        <translation>Masuk petugas</translation>
    </message>
    <message>
        <source>User id</source>
        <translation>ID pengguna</translation>
    </message>
    <message>
        <source>Password or PIN</source>
        <translation>Kata sandi atau PIN</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Masuk</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Kembali</translation>
    </message>
    <message>
        <source>Wrong user id or password.</source>
        <translation>ID pengguna atau kata sandi salah.</translation>
    </message>
    <message>
        <source>Too many wrong attempts: this account is locked for a while.</source>
        <translation>Terlalu banyak percobaan salah: akun ini dikunci untuk sementara.</translation>
    </message>
    <message>
        <source>Login failed.</source>
        <translation>Gagal masuk.</translation>
    </message>
</context>
<context>
    <name>NavBar</name>
    <message>
        <source>Referrals</source>
        <translation>Rujukan</translation>
    </message>
    <message>
        <source>Enrollment</source>
        <translation>Pendaftaran</translation>
    </message>
    <message>
        <source>Watchlist</source>
        <translation>Daftar pantauan</translation>
    </message>
    <message>
        <source>Duplicates</source>
        <translation>Duplikat</translation>
    </message>
    <message>
        <source>Log out</source>
        <translation>Keluar</translation>
    </message>
</context>
<context>
    <name>ReferralsView</name>
    <message>
        <source>Referrals</source>
        <translation>Rujukan</translation>
    </message>
    <message>
        <source>Your note (required)</source>
        <translation>Catatan Anda (wajib)</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>Loloskan</translation>
    </message>
    <message>
        <source>Refuse</source>
        <translation>Tolak</translation>
    </message>
    <message>
        <source>Escalate</source>
        <translation>Eskalasi</translation>
    </message>
    <message>
        <source>No open referrals.</source>
        <translation>Tidak ada rujukan yang terbuka.</translation>
    </message>
</context>
<context>
    <name>SurveyView</name>
    <message>
        <source>How was your experience today?</source>
        <translation>Bagaimana pengalaman Anda hari ini?</translation>
    </message>
    <message>
        <source>1 = very poor, 5 = very good</source>
        <translation>1 = sangat buruk, 5 = sangat baik</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>Lewati</translation>
    </message>
</context>
<context>
    <name>TechnicianWindow</name>
    <message>
        <source>Devices</source>
        <translation>Perangkat</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Kamera</translation>
    </message>
    <message>
        <source>Thresholds</source>
        <translation>Ambang</translation>
    </message>
    <message>
        <source>Log out</source>
        <translation>Keluar</translation>
    </message>
</context>
<context>
    <name>ThresholdsView</name>
    <message>
        <source>Threshold calibration</source>
        <translation>Kalibrasi ambang batas</translation>
    </message>
    <message>
        <source>Dataset folder (one folder of images per person)</source>
        <translation>Folder dataset (satu folder gambar per orang)</translation>
    </message>
    <message>
        <source>Run evaluation</source>
        <translation>Jalankan evaluasi</translation>
    </message>
    <message>
        <source>Face</source>
        <translation>Wajah</translation>
    </message>
    <message>
        <source>Fingerprint</source>
        <translation>Sidik jari</translation>
    </message>
    <message>
        <source>Use as the kiosk&apos;s operating point</source>
        <translation>Gunakan sebagai titik operasi kios</translation>
    </message>
    <message>
        <source>Print folders, separated by &apos;;&apos; (FVC layout or one folder per finger)</source>
        <translation>Folder sidik jari, dipisahkan dengan &apos;;&apos; (tata letak FVC atau satu folder per jari)</translation>
    </message>
    <message>
        <source>Evaluating… this takes a while.</source>
        <translation>Mengevaluasi… ini memerlukan waktu.</translation>
    </message>
    <message>
        <source>Evaluating… %1 of %2 images (%3)</source>
        <translation>Mengevaluasi… %1 dari %2 gambar (%3)</translation>
    </message>
    <message>
        <source>Prints: %1 (%2 failed to extract); one finger:</source>
        <translation>Sidik jari: %1 (%2 gagal diekstraksi); satu jari:</translation>
    </message>
    <message>
        <source>Pairs: %1 genuine, %2 impostor</source>
        <translation>Pasangan: %1 asli, %2 penyamar</translation>
    </message>
    <message>
        <source>Equal error rate: %1%</source>
        <translation>Equal error rate (EER): %1%</translation>
    </message>
    <message>
        <source>Accept at %1 (FMR %2%, FNMR %3%)</source>
        <translation>Terima mulai %1 (FMR %2%, FNMR %3%)</translation>
    </message>
    <message>
        <source>Reject below %1 (FMR %2%, FNMR %3%)</source>
        <translation>Tolak di bawah %1 (FMR %2%, FNMR %3%)</translation>
    </message>
    <message>
        <source>Too few impostor pairs to measure this FMR: the threshold is conservative.</source>
        <translation>Pasangan penyamar terlalu sedikit untuk mengukur FMR ini: ambang batasnya konservatif.</translation>
    </message>
    <message>
        <source>Two fingers (sum of scores): %1 genuine, %2 impostor pairs</source>
        <translation>Dua jari (jumlah skor): %1 pasangan asli, %2 pasangan penyamar</translation>
    </message>
    <message>
        <source>Two fingers: accept at %1 (FMR %2%, FNMR %3%)</source>
        <translation>Dua jari: terima mulai %1 (FMR %2%, FNMR %3%)</translation>
    </message>
    <message>
        <source>Two fingers: reject below %1 (FMR %2%, FNMR %3%)</source>
        <translation>Dua jari: tolak di bawah %1 (FMR %2%, FNMR %3%)</translation>
    </message>
    <message>
        <source>Two fingers: too few impostor pairs for this FMR (conservative).</source>
        <translation>Dua jari: pasangan penyamar terlalu sedikit untuk FMR ini (konservatif).</translation>
    </message>
    <message>
        <source>Both minutiae sets (1:1 at the kiosk): accept at %1 (FMR %2%, FNMR %3%)</source>
        <translation>Kedua set minutiae (1:1 di kios): terima mulai %1 (FMR %2%, FNMR %3%)</translation>
    </message>
    <message>
        <source>Both minutiae sets: reject below %1 (FMR %2%, FNMR %3%)</source>
        <translation>Kedua set minutiae: tolak di bawah %1 (FMR %2%, FNMR %3%)</translation>
    </message>
    <message>
        <source>Both minutiae sets, two fingers: accept at %1 (FMR %2%, FNMR %3%)</source>
        <translation>Kedua set minutiae, dua jari: terima mulai %1 (FMR %2%, FNMR %3%)</translation>
    </message>
    <message>
        <source>Both minutiae sets, two fingers: reject below %1 (FMR %2%, FNMR %3%)</source>
        <translation>Kedua set minutiae, dua jari: tolak di bawah %1 (FMR %2%, FNMR %3%)</translation>
    </message>
    <message>
        <source>Too few prints for this false-match rate: add prints, not saved.</source>
        <translation>Sidik jari terlalu sedikit untuk tingkat salah cocok ini: tambahkan sidik jari, tidak disimpan.</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>Gagal: %1</translation>
    </message>
    <message>
        <source>Saved and recorded in the audit log.</source>
        <translation>Disimpan dan dicatat di log audit.</translation>
    </message>
</context>
<context>
    <name>WatchlistController</name>
    <message>
        <source>yes</source>
        <translation>ya</translation>
    </message>
    <message>
        <source>no</source>
        <translation>tidak</translation>
    </message>
    <message>
        <source>Enter the source agency first.</source>
        <translation>Masukkan instansi pengirim terlebih dahulu.</translation>
    </message>
    <message>
        <source>Watchlist files</source>
        <translation>Berkas daftar pantauan</translation>
    </message>
    <message>
        <source>Importing…</source>
        <translation>Mengimpor…</translation>
    </message>
    <message>
        <source>%1 persons, %2 faces, %3 fingerprints imported; %4 rejected</source>
        <translation>%1 orang, %2 wajah, %3 sidik jari diimpor; %4 ditolak</translation>
    </message>
    <message>
        <source>Unexpected error.</source>
        <translation>Kesalahan tak terduga.</translation>
    </message>
</context>
<context>
    <name>WatchlistView</name>
    <message>
        <source>Watchlist</source>
        <translation>Daftar pantauan</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nama</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>Kategori</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Sumber</translation>
    </message>
    <message>
        <source>Valid until</source>
        <translation>Berlaku sampai</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Aktif</translation>
    </message>
    <message>
        <source>Faces</source>
        <translation>Wajah</translation>
    </message>
    <message>
        <source>Source agency</source>
        <translation>Instansi pengirim</translation>
    </message>
    <message>
        <source>Import files…</source>
        <translation>Impor berkas…</translation>
    </message>
    <message>
        <source>Reason for removal</source>
        <translation>Alasan penghapusan</translation>
    </message>
    <message>
        <source>Expire</source>
        <translation>Akhiri masa berlaku</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Hapus</translation>
    </message>
</context>
</TS>
