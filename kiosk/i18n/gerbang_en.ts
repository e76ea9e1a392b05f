<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>CameraView</name>
    <message>
        <source>Camera calibration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Measure</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save recommended settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Too dark: increase the exposure or the light.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Too bright: decrease the exposure.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Highlights are clipped.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shadows are clipped.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The picture is blurred: adjust the focus.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Colour cast: adjust the white balance.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The face is too small: move the camera closer or zoom in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The face is too large: move the camera back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Measuring… keep the test chart in front of the camera.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sharpness: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Best focus: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Brightness: %1 (clipped %2%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>White balance gains B/G/R: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inter-eye distance: %1 px</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The camera is well set up.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved and recorded in the audit log.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DecisionView</name>
    <message>
        <source>Welcome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Thank you. The gate is open: please walk through.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please see an officer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An officer will help you now. Please take your passport and wait here.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DevicesView</name>
    <message>
        <source>Devices</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Device</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backend</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Detail</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Driver</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ready: %1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DocumentView</name>
    <message>
        <source>Your passport</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open your passport at the photo page and place it face down on the reader.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for your passport…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Passport page read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chip read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chip data signed by the issuing country</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chip is genuine, not a copy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chip data matches the passport page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the chip. Please do not move your passport.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DuplicatesController</name>
    <message>
        <source>No enrollment is waiting.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DuplicatesView</name>
    <message>
        <source>Possible duplicates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your note (required)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Same person: revoke</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Different people: activate</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EnrollmentController</name>
    <message>
        <source>Unexpected error.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the document first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Face photo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking the photo…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retake or override: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Face accepted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A supervisor must approve the override.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Override approved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fingerprint image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The fingers touch: spread them and scan the slap again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Some fingertips were not found: scan again, or take those fingers singly.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No fingers on the slap: place the hand flat and scan again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The slap image cannot be used.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Record a missing finger at its own position, not a slap.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 missing: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Capture or mark missing: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enrolled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Possible duplicate: held for a supervisor. Compare the faces side by side.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not stored: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the receipt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Receipt saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Place the passport&apos;s data page on the document scanner…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Place the passport on the card reader…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the chip…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking the chip…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading the face models…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Place the finger on the scanner…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera: no face yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera: only the traveller in the picture.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera: the traveller should come closer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera: the traveller should step back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera: centre the face.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera: look straight at the camera.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera: hold the head straight.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera: keep still.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera: more light needed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera: too much light.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera: light the face evenly.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scanner: the finger moved, place it again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scanner: the finger is too dry.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scanner: the finger is too wet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scanner: centre the finger.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scanner: lift the finger and place it again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scanner: unusable print, place the finger again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Device: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing captured in time: try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The MRZ could not be read: place the data page again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The MRZ check digits do not hold: check the page or type the MRZ.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No chip on the card reader in time: place the passport again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No usable face in front of the camera: try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Try again: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>chip</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chip read: look at %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chip read and verified.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Look at the camera…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EnrollmentView</name>
    <message>
        <source>Enrollment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type the MRZ lines (no chip)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use MRZ</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read passport</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Capture face</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan finger</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Face photo…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Override reason (written)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Supervisor id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Supervisor PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Override</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fingerprint…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why the finger is missing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark missing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The traveller consents to the enrollment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check duplicates and save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Receipt (PDF)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next traveller</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FaceView</name>
    <message>
        <source>Look at the camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep your face inside the oval.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please come a little closer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please step back a little.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please look straight at the screen.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please face the light.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Too much light: please step out of the bright light.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please turn so that your whole face is lit evenly.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please keep your eyes open.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please close your mouth.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please keep still.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please take off your glasses.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please take off your hat.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please move your face into the oval.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please blink.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please turn your head slowly to the left.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please turn your head slowly to the right.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only one person in front of the camera, please.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FingerprintView</name>
    <message>
        <source>Fingerprints</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>right index finger</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>left index finger</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>right thumb</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>left thumb</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> and </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Place your %1 flat on the glass.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attempt %1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No finger found. Press your finger flat on the glass.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your finger moved. Please hold it still.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your finger is too dry. Breathe on it and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your finger is too wet. Wipe it and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please centre your finger on the glass.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The print was not clear. Please press a little harder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please try again.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>KioskWindow</name>
    <message>
        <source>Call an officer</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LoginView</name>
    <message>
        <source>Staff login</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password or PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wrong user id or password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Too many wrong attempts: this account is locked for a while.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Login failed.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>NavBar</name>
    <message>
        <source>Referrals</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enrollment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Watchlist</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duplicates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log out</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReferralsView</name>
    <message>
        <source>Referrals</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your note (required)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refuse</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Escalate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No open referrals.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SurveyView</name>
    <message>
        <source>How was your experience today?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 = very poor, 5 = very good</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skip</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TechnicianWindow</name>
    <message>
        <source>Devices</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Thresholds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log out</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ThresholdsView</name>
    <message>
        <source>Threshold calibration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Print folders, separated by &apos;;&apos; (FVC layout or one folder per finger)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset folder (one folder of images per person)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run evaluation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Face</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fingerprint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use as the kiosk&apos;s operating point</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evaluating… this takes a while.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evaluating… %1 of %2 images (%3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Prints: %1 (%2 failed to extract); one finger:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pairs: %1 genuine, %2 impostor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Equal error rate: %1%</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accept at %1 (FMR %2%, FNMR %3%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reject below %1 (FMR %2%, FNMR %3%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Too few impostor pairs to measure this FMR: the threshold is conservative.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Two fingers (sum of scores): %1 genuine, %2 impostor pairs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Two fingers: accept at %1 (FMR %2%, FNMR %3%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Two fingers: reject below %1 (FMR %2%, FNMR %3%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Two fingers: too few impostor pairs for this FMR (conservative).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Both minutiae sets (1:1 at the kiosk): accept at %1 (FMR %2%, FNMR %3%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Both minutiae sets: reject below %1 (FMR %2%, FNMR %3%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Both minutiae sets, two fingers: accept at %1 (FMR %2%, FNMR %3%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Both minutiae sets, two fingers: reject below %1 (FMR %2%, FNMR %3%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Too few prints for this false-match rate: add prints, not saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved and recorded in the audit log.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WatchlistController</name>
    <message>
        <source>yes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the source agency first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Watchlist files</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Importing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 persons, %2 faces, %3 fingerprints imported; %4 rejected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unexpected error.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WatchlistView</name>
    <message>
        <source>Watchlist</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Category</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Source</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Valid until</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Faces</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Source agency</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Import files…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason for removal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expire</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
