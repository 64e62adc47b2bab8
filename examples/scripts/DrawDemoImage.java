import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.File;

/**
 * Draws the demo image bundled with mod4j (api/src/main/resources/dev/mod4j/api/demo/demo-image.png): a 336×336
 * landscape with a house, a tree, a sun and a boat, so that a patch grid laid over it shows which regions a schedule
 * kept. Run: {@code java -Djava.awt.headless=true examples/scripts/DrawDemoImage.java OUT.png}.
 */
public class DrawDemoImage {
    public static void main(String[] args) throws Exception {
        int size = 336;
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        // Sky and sun.
        g.setPaint(new GradientPaint(0, 0, new Color(92, 156, 230), 0, 200, new Color(196, 226, 250)));
        g.fillRect(0, 0, size, 210);
        g.setColor(new Color(255, 214, 64));
        g.fill(new Ellipse2D.Double(246, 26, 58, 58));
        g.setColor(Color.WHITE);
        for (int[] c : new int[][]{{40, 50}, {70, 40}, {100, 52}, {150, 80}, {176, 72}}) {
            g.fill(new Ellipse2D.Double(c[0], c[1], 46, 26));
        }
        // Hills and lake.
        g.setColor(new Color(96, 150, 80));
        Path2D hills = new Path2D.Double();
        hills.moveTo(0, 190);
        hills.curveTo(80, 130, 160, 200, 220, 170);
        hills.curveTo(270, 145, 310, 160, size, 180);
        hills.lineTo(size, size);
        hills.lineTo(0, size);
        hills.closePath();
        g.fill(hills);
        g.setColor(new Color(60, 120, 190));
        g.fill(new Ellipse2D.Double(170, 232, 190, 70));
        // Boat on the lake.
        g.setColor(new Color(120, 70, 40));
        Path2D hull = new Path2D.Double();
        hull.moveTo(238, 262);
        hull.lineTo(296, 262);
        hull.lineTo(284, 276);
        hull.lineTo(250, 276);
        hull.closePath();
        g.fill(hull);
        g.setColor(new Color(245, 245, 235));
        Path2D sail = new Path2D.Double();
        sail.moveTo(268, 222);
        sail.lineTo(268, 260);
        sail.lineTo(292, 260);
        sail.closePath();
        g.fill(sail);
        // House.
        g.setColor(new Color(236, 220, 180));
        g.fillRect(44, 182, 96, 78);
        g.setColor(new Color(180, 50, 40));
        Path2D roof = new Path2D.Double();
        roof.moveTo(34, 186);
        roof.lineTo(92, 136);
        roof.lineTo(150, 186);
        roof.closePath();
        g.fill(roof);
        g.setColor(new Color(110, 70, 40));
        g.fillRect(80, 216, 24, 44);
        g.setColor(new Color(120, 190, 240));
        g.fillRect(54, 200, 18, 18);
        g.fillRect(114, 200, 18, 18);
        g.setColor(new Color(80, 60, 40));
        g.setStroke(new BasicStroke(2));
        g.drawRect(54, 200, 18, 18);
        g.drawRect(114, 200, 18, 18);
        // Tree.
        g.setColor(new Color(100, 66, 36));
        g.fillRect(182, 190, 14, 62);
        g.setColor(new Color(40, 110, 50));
        g.fill(new Ellipse2D.Double(158, 136, 62, 66));
        g.fill(new Ellipse2D.Double(150, 160, 40, 40));
        g.fill(new Ellipse2D.Double(186, 158, 42, 42));
        // Flowers in the grass.
        Color[] petals = {new Color(230, 60, 90), new Color(250, 200, 40), new Color(240, 240, 250)};
        for (int i = 0; i < 18; i++) {
            int x = 12 + (i * 53) % 150;
            int y = 276 + (i * 29) % 52;
            g.setColor(petals[i % petals.length]);
            g.fill(new Ellipse2D.Double(x, y, 8, 8));
        }
        g.dispose();
        ImageIO.write(image, "png", new File(args.length > 0 ? args[0] : "demo-image.png"));
    }
}
