// Reference for the Maven differential test: reads "a<TAB>b" lines on stdin and prints the sign
// of maven-artifact's ComparableVersion(a).compareTo(ComparableVersion(b)), one per line.
// Run: java -cp maven-artifact.jar MavenCompare.java < pairs
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenCompare {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        PrintWriter out = new PrintWriter(System.out);
        String line;
        while ((line = in.readLine()) != null) {
            int tab = line.indexOf('\t');
            ComparableVersion a = new ComparableVersion(line.substring(0, tab));
            ComparableVersion b = new ComparableVersion(line.substring(tab + 1));
            out.println(Integer.signum(a.compareTo(b)));
        }
        out.flush();
    }
}
