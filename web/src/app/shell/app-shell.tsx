import { Outlet } from '@tanstack/react-router';
import { Menu } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '@/components/ui/button';
import { Sheet, SheetContent, SheetDescription, SheetTitle } from '@/components/ui/sheet';
import { LanguageSwitch } from './language-switch';
import { SidebarContent } from './sidebar';
import { ThemeSwitch } from './theme-switch';

/** The signed-in frame: a sidebar (a drawer on phones), a top bar with language and theme, the page. */
export function AppShell() {
  const { t } = useTranslation();
  const [drawer, setDrawer] = useState(false);
  return (
    <div className="flex min-h-dvh bg-background">
      <aside className="sticky top-0 hidden h-dvh w-64 shrink-0 border-r bg-sidebar text-sidebar-foreground md:flex md:flex-col">
        <SidebarContent />
      </aside>
      <Sheet open={drawer} onOpenChange={setDrawer}>
        <SheetContent side="left" closeLabel={t('common.close')} className="w-72 bg-sidebar p-0">
          <SheetTitle className="sr-only">{t('shell.menu')}</SheetTitle>
          <SheetDescription className="sr-only">{t('shell.menuDescription')}</SheetDescription>
          <SidebarContent onNavigate={() => setDrawer(false)} />
        </SheetContent>
      </Sheet>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-30 flex h-14 items-center gap-2 border-b bg-background/90 px-4 backdrop-blur md:px-6">
          <Button
            variant="ghost"
            size="icon"
            className="md:hidden"
            onClick={() => setDrawer(true)}
            aria-label={t('shell.openMenu')}
          >
            <Menu />
          </Button>
          <div className="flex-1" />
          <LanguageSwitch />
          <ThemeSwitch />
        </header>
        <main className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 md:px-8 md:py-8">
          <Outlet />
        </main>
      </div>
    </div>
  );
}
